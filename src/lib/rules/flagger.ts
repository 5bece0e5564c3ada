import {asList, asObj, asString, parseGoDuration} from './kube.js'
import type {ObjectIndex} from './object-index.js'
import {canaryAnalysis, renderedTargetMismatch} from './references.js'
import type {Rule, SourcedObject} from './types.js'

// Issue 17, rule 5: the runbook's Flagger "Gotchas", each of which cost its authors days.

const group = 'Flagger'

export const flaggerAnalysisSteps: Rule = {
  id: 'flagger-analysis-steps',
  severity: 'error',
  group,
  summary: "A Canary's analysis has either iterations (blue/green) or maxWeight with stepWeight (or stepWeights) for traffic shifting.",
  hint: 'add iterations: N for a blue/green rollout, or maxWeight and stepWeight for a canary one; without them Flagger cannot advance the rollout',
  check(index, report) {
    for (const canary of index.ofKind('Canary', ['flagger.app'])) {
      const spec = asObj(canary.object.spec)
      if (spec.analysis === undefined && spec.canaryAnalysis === undefined) {
        report({on: canary, path: ['spec'], message: 'this Canary has no analysis (spec.analysis)'})
        continue
      }
      const {analysis, path} = canaryAnalysis(canary)
      const has = (key: string) => analysis[key] !== undefined && analysis[key] !== null
      if (has('iterations') || (has('maxWeight') && has('stepWeight')) || asList(analysis.stepWeights).length > 0) continue
      const present = ['maxWeight', 'stepWeight'].filter(has)
      report({
        on: canary,
        path,
        message: `the analysis has ${present.length > 0 ? `${present[0]} but not ${present[0] === 'maxWeight' ? 'stepWeight' : 'maxWeight'}` : 'neither iterations nor maxWeight with stepWeight'}`,
      })
    }
  },
}

export const flaggerMetricInterval: Rule = {
  id: 'flagger-metric-interval',
  severity: 'error',
  group,
  summary: "A Canary metric's interval is a duration of at least 1m.",
  hint: 'use interval: 1m or longer (runbook: shorter windows hold a single sample, so rate() returns nothing and the analysis fails)',
  check(index, report) {
    for (const canary of index.ofKind('Canary', ['flagger.app'])) {
      const {analysis, path} = canaryAnalysis(canary)
      asList(analysis.metrics).forEach((metric, i) => {
        const interval = asObj(metric).interval
        if (interval === undefined) return
        const name = asString(asObj(metric).name) ?? `metrics[${i}]`
        const ms = parseGoDuration(interval)
        if (ms === undefined)
          report({on: canary, path: [...path, 'metrics', i, 'interval'], message: `metric "${name}": interval ${JSON.stringify(interval)} is not a duration`})
        else if (ms < 60_000)
          report({on: canary, path: [...path, 'metrics', i, 'interval'], message: `metric "${name}": interval ${String(interval)} is shorter than 1m`})
      })
    }
  },
}

const builtinNginxMetrics = new Set(['request-success-rate', 'request-duration'])
/** A query on the ingress controller's metrics that filters them by the Canary's namespace. */
const namespaceFilter = /nginx_ingress_controller_\w*\s*\{[^}]*(?<![\w])namespace\s*=~?\s*"\{\{\s*namespace\s*\}\}"/

/** Flagger's provider for a Canary: spec.provider, else the meshProvider its HelmRelease sets. */
function providerOf(index: ObjectIndex, canary: SourcedObject): string | undefined {
  const explicit = asString(asObj(canary.object.spec).provider)
  if (explicit) return explicit
  for (const release of index.helmReleases()) {
    if (index.chartName(release.object) !== 'flagger') continue
    const meshProvider = asString(asObj(asObj(release.object.spec).values).meshProvider)
    if (meshProvider) return meshProvider
  }
  return undefined
}

export const flaggerNginxNamespace: Rule = {
  id: 'flagger-nginx-namespace',
  severity: 'error',
  group,
  summary:
    'Flagger\'s builtin nginx metrics, or a MetricTemplate filtering nginx metrics by namespace="{{ namespace }}", are not used while the only nginx ingress controller runs in another namespace.',
  hint: 'use a MetricTemplate whose query names the controller\'s namespace (namespace="adm") and selects the Canary\'s ingress by its own labels (ingress="{{ ingress }}"); templateRef.namespace only locates the template (runbook Gotchas)',
  check(index, report) {
    const controllers = index.nginxControllerNamespaces()
    if (controllers.size === 0) return
    const where = [...controllers].sort().join(', ')
    const reportedTemplates = new Set<SourcedObject>()
    for (const canary of index.ofKind('Canary', ['flagger.app'])) {
      const namespace = index.namespaceOf(canary.object) ?? 'default'
      if (controllers.has(namespace)) continue
      const {analysis, path} = canaryAnalysis(canary)
      const nginx = providerOf(index, canary) === 'nginx'
      asList(analysis.metrics).forEach((entry, i) => {
        const metric = asObj(entry)
        const name = asString(metric.name) ?? ''
        const templateRef = metric.templateRef === undefined ? undefined : asObj(metric.templateRef)
        if (!templateRef) {
          if (nginx && builtinNginxMetrics.has(name)) {
            report({
              on: canary,
              path: [...path, 'metrics', i],
              message: `builtin metric "${name}" reads the nginx controller's metrics in ${namespace}, but the only nginx ingress controller runs in ${where}`,
            })
          }
          return
        }
        const templateName = asString(templateRef.name)
        if (!templateName) return
        for (const template of index.find('MetricTemplate', asString(templateRef.namespace) ?? namespace, templateName, ['flagger.app'])) {
          const query = asString(asObj(template.object.spec).query) ?? ''
          if (reportedTemplates.has(template) || !namespaceFilter.test(query)) continue
          reportedTemplates.add(template)
          report({
            on: template,
            path: ['spec', 'query'],
            message: `the query filters nginx metrics by namespace="{{ namespace }}", which is ${namespace} for Canary "${canary.object.metadata.name}", but the only nginx ingress controller runs in ${where}`,
          })
        }
      })
    }
  },
}

export const flaggerTargetRendered: Rule = {
  id: 'flagger-target-rendered',
  severity: 'error',
  group,
  summary: "A Canary's targetRef names the Deployment its namespace's charts render (helm renders names such as <release>-<chart>, not the app's name).",
  hint: "set targetRef.name to the rendered name (or set the chart's fullnameOverride); Flagger finds no target otherwise and the Canary never initializes (the runbook's first Flagger gotcha)",
  check(index, report) {
    for (const canary of index.ofKind('Canary', ['flagger.app'])) {
      const mismatch = renderedTargetMismatch(index, canary)
      if (!mismatch) continue
      const namespace = index.namespaceOf(canary.object) ?? 'default'
      const names = mismatch.rendered.map((item) => `"${item.object.metadata.name}"${item.rendered ? ` (HelmRelease ${item.rendered.helmRelease})` : ''}`)
      report({
        on: canary,
        path: ['spec', 'targetRef', 'name'],
        message: `targetRef names ${mismatch.kind} "${mismatch.name}" in ${namespace}, but the charts installing there render ${mismatch.kind} ${names.join(', ')}`,
      })
    }
  },
}
