import type {Rule} from './types.js'

// Issue 17, rule 9: HelmRelease rendering. src/lib/lint/render-charts.ts renders each chart it can
// reach with the real helm; the rendered objects go through every other rule. This rule reports
// what helm could not render: a chart path with no chart, a template that fails with the
// release's values (helm's own message, with every value we passed replaced by <value>).

export const helmRender: Rule = {
  id: 'helm-render',
  severity: 'error',
  group: 'HelmRelease rendering',
  summary:
    "Every HelmRelease whose chart is reachable (in the repository, in helm's cache, or with --online) renders with `helm template` and its values; the rendered objects are linted with every rule.",
  hint: 'run `elife-k8s helm debug --file <this file> <name>` to see the template line and the values it reads; fix the values or the chart',
  check(index, report) {
    for (const problem of index.renderProblems) report({on: problem.on, path: problem.path, message: problem.message})
  },
}
