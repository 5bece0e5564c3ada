import {parser} from '@prometheus-io/lezer-promql'

import {asList, asObj, asString, describeSelector, isObj, isPrometheusDuration, labelsOf, selectorMatches} from './kube.js'
import type {ObjectIndex} from './object-index.js'
import type {Rule, SourcedObject} from './types.js'

// Issue 17, rule 7: PrometheusRule objects, which Prometheus loads only when they parse and when
// the operator's ruleSelector selects them (runbook: "give it an app label and add this to the
// prometheusSpec.ruleSelector").

const group = 'Prometheus rules'

/** Where the first syntax error of a PromQL expression is (0-based offset), or undefined when it parses. */
export function promqlError(expr: string): number | undefined {
  if (expr.trim() === '') return 0
  let at: number | undefined
  parser.parse(expr).iterate({
    enter(node) {
      if (at !== undefined) return false
      if (node.type.isError) at = node.from
      return undefined
    },
  })
  return at
}

function ruleName(rule: Record<string, unknown>, g: number, r: number): string {
  const name = asString(rule.alert) ?? asString(rule.record)
  return name ? `${rule.alert ? 'alert' : 'record'} "${name}"` : `groups[${g}].rules[${r}]`
}

function prometheusRules(index: ObjectIndex): readonly SourcedObject[] {
  return index.ofKind('PrometheusRule', ['monitoring.coreos.com'])
}

export const promqlSyntax: Rule = {
  id: 'promql-syntax',
  severity: 'error',
  group,
  summary:
    "Every PrometheusRule expression, and every Prometheus query of a Flagger MetricTemplate (its {{ }} variables filled), parses as PromQL (checked with the Prometheus project's own parser).",
  hint: 'fix the expression (try it in the Prometheus UI); Prometheus refuses the whole rule file otherwise',
  check(index, report) {
    for (const item of prometheusRules(index)) {
      asList(asObj(item.object.spec).groups).forEach((ruleGroup, g) => {
        asList(asObj(ruleGroup).rules).forEach((entry, r) => {
          const rule = asObj(entry)
          const path = ['spec', 'groups', g, 'rules', r, 'expr']
          const expr = typeof rule.expr === 'number' ? String(rule.expr) : rule.expr
          if (typeof expr !== 'string' || expr.trim() === '') {
            report({on: item, path: ['spec', 'groups', g, 'rules', r], message: `${ruleName(rule, g, r)} has no expr`})
            return
          }
          const at = promqlError(expr)
          if (at === undefined) return
          const near = expr.slice(at, at + 20).split('\n')[0]
          report({
            on: item,
            path,
            message: `${ruleName(rule, g, r)}: expr does not parse as PromQL at character ${at + 1}${near ? ` (near "${near}")` : ' (unexpected end)'}`,
          })
        })
      })
    }
    for (const template of index.ofKind('MetricTemplate', ['flagger.app'])) {
      const spec = asObj(template.object.spec)
      const provider = asString(asObj(spec.provider).type) ?? 'prometheus'
      const query = spec.query
      if (provider !== 'prometheus' || typeof query !== 'string') continue
      // Flagger fills {{ interval }} with a duration and the others with names or values.
      const filled = query.replace(/\{\{\s*interval\s*\}\}/g, '1m').replace(/\{\{[^}]*\}\}/g, 'x')
      const at = promqlError(filled)
      if (at === undefined) continue
      const near = filled.slice(at, at + 20).split('\n')[0]
      report({
        on: template,
        path: ['spec', 'query'],
        message: `the query does not parse as PromQL (with its variables filled) at character ${at + 1}${near ? ` (near "${near}")` : ' (unexpected end)'}`,
      })
    }
  },
}

export const prometheusRuleDuration: Rule = {
  id: 'prometheus-rule-duration',
  severity: 'error',
  group,
  summary: 'Durations in PrometheusRules (group interval, for, keep_firing_for) are valid Prometheus durations.',
  hint: 'write durations as Prometheus does: 30s, 5m, 1h30m (units in order, no decimals)',
  check(index, report) {
    for (const item of prometheusRules(index)) {
      asList(asObj(item.object.spec).groups).forEach((entry, g) => {
        const ruleGroup = asObj(entry)
        if (ruleGroup.interval !== undefined && !isPrometheusDuration(ruleGroup.interval)) {
          report({
            on: item,
            path: ['spec', 'groups', g, 'interval'],
            message: `group "${String(ruleGroup.name ?? g)}": interval ${JSON.stringify(ruleGroup.interval)} is not a duration`,
          })
        }
        asList(ruleGroup.rules).forEach((ruleEntry, r) => {
          const rule = asObj(ruleEntry)
          for (const field of ['for', 'keep_firing_for']) {
            if (rule[field] !== undefined && !isPrometheusDuration(rule[field])) {
              report({
                on: item,
                path: ['spec', 'groups', g, 'rules', r, field],
                message: `${ruleName(rule, g, r)}: ${field} ${JSON.stringify(rule[field])} is not a duration`,
              })
            }
          }
        })
      })
    }
  },
}

/**
 * The ruleSelector the Prometheus operator chart gives its Prometheus: prometheusSpec.ruleSelector
 * when set; else, with ruleSelectorNilUsesHelmValues (the default), the chart's own labels
 * (stable/prometheus-operator: app and release; kube-prometheus-stack: release); else all rules.
 */
export function ruleSelectorOf(index: ObjectIndex, release: SourcedObject): {selector: unknown; from: string} {
  const values = asObj(asObj(release.object.spec).values)
  const spec = asObj(asObj(values.prometheus).prometheusSpec)
  const selector = spec.ruleSelector
  if (isObj(selector) && Object.keys(selector).length > 0) return {selector, from: 'prometheus.prometheusSpec.ruleSelector'}
  if (spec.ruleSelectorNilUsesHelmValues === false) return {selector: {}, from: 'an empty ruleSelector'}
  const releaseName = index.helmReleaseName(release)
  const chart = index.chartName(release.object)
  const matchLabels: Record<string, string> =
    chart === 'kube-prometheus-stack' ? {release: releaseName} : {app: asString(values.nameOverride) ?? 'prometheus-operator', release: releaseName}
  return {selector: {matchLabels}, from: "the chart's default ruleSelector"}
}

export const prometheusRuleNotSelected: Rule = {
  id: 'prometheus-rule-not-selected',
  severity: 'error',
  group,
  summary: "Every PrometheusRule carries the labels the Prometheus operator's ruleSelector (in the repository's prometheus-operator HelmRelease) selects.",
  hint: 'give the rule an app label and add it to prometheus.prometheusSpec.ruleSelector in the prometheus-operator HelmRelease (runbook, "Alerts"); until then Prometheus never loads it',
  check(index, report) {
    const releases = index.prometheusOperatorReleases()
    if (releases.length === 0) return
    const selectors = releases.map((release) => ({release, ...ruleSelectorOf(index, release)}))
    for (const item of prometheusRules(index)) {
      const labels = labelsOf(item.object)
      if (selectors.some(({selector}) => selectorMatches(selector, labels))) continue
      const {release, selector, from} = selectors[0]
      const shown = Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')
      report({
        on: item,
        path: ['metadata', 'labels'],
        message: `its labels (${shown || 'none'}) are not selected by HelmRelease "${release.object.metadata.name}" (${from}: ${describeSelector(selector) || 'nothing'}), so Prometheus never loads it`,
      })
    }
  },
}
