import {alertmanagerConfig, alertmanagerUnusedReceiver} from './alertmanager.js'
import {apiDeprecated, apiRemoved} from './deprecations.js'
import {objectValidation} from './object-validation.js'
import {schemaRule} from './schema.js'
import {dashboardJson, dashboardLabelValue, dashboardNamespace, dashboardUidDuplicate, oauthAnnotations, oauthSigninRd} from './dashboards.js'
import {flaggerAnalysisSteps, flaggerMetricInterval, flaggerNginxNamespace, flaggerTargetRendered} from './flagger.js'
import {helmRender} from './helm-render.js'
import {duplicateObject, fluxNotApplied, notAnObject, objectShape, yamlSyntax} from './flux-apply.js'
import {prometheusRuleDuration, prometheusRuleNotSelected, promqlSyntax} from './prometheus.js'
import {
  flaggerRefMissing,
  flaggerRefOutsideRepo,
  fluxImagePolicyMarker,
  fluxRefMissing,
  fluxRefOutsideRepo,
  ingressServiceMissing,
  ingressServicePort,
  namespaceMissing,
} from './references.js'
import type {Rule} from './types.js'

/** Malformed suppression comments: they silence nothing, so say so. */
export const ignoreComment: Rule = {
  id: 'ignore-comment',
  severity: 'warning',
  group: 'Suppressions',
  summary: 'Every `# elife-k8s:ignore rule-id reason` comment names known rules and gives a reason.',
  hint: 'write # elife-k8s:ignore <rule-id>[,<rule-id>] <why this is fine>; `elife-k8s lint --help` and docs/lint-rules.md list the rule ids',
  check(index, report) {
    const known = new Set(lintRules.map((rule) => rule.id))
    for (const comment of index.suppressionComments) {
      const unknown = comment.rules.filter((id) => !known.has(id))
      if (comment.rules.length === 0) report({at: comment.position, message: 'the ignore comment names no rule, so it suppresses nothing'})
      else if (unknown.length > 0)
        report({
          at: comment.position,
          message: `the ignore comment names unknown rule${unknown.length === 1 ? '' : 's'} ${unknown.map((id) => `"${id}"`).join(', ')}`,
        })
      else if (comment.reason === '') report({at: comment.position, message: 'the ignore comment gives no reason, so it suppresses nothing'})
    }
  },
}

/**
 * Every rule, as data: the one list lint runs (and doctor will run on objects from the API). The
 * order is the issue's: what Flux applies, schemas, deprecated APIs, references, Flagger, Prometheus, dashboards, Alertmanager, HelmRelease rendering.
 */
export const lintRules: readonly Rule[] = [
  yamlSyntax,
  notAnObject,
  objectShape,
  duplicateObject,
  fluxNotApplied,
  schemaRule,
  objectValidation,
  apiRemoved,
  apiDeprecated,
  namespaceMissing,
  ingressServiceMissing,
  ingressServicePort,
  flaggerRefMissing,
  flaggerRefOutsideRepo,
  fluxRefMissing,
  fluxRefOutsideRepo,
  fluxImagePolicyMarker,
  flaggerAnalysisSteps,
  flaggerMetricInterval,
  flaggerNginxNamespace,
  flaggerTargetRendered,
  promqlSyntax,
  prometheusRuleDuration,
  prometheusRuleNotSelected,
  dashboardNamespace,
  dashboardLabelValue,
  dashboardJson,
  dashboardUidDuplicate,
  oauthAnnotations,
  oauthSigninRd,
  alertmanagerConfig,
  alertmanagerUnusedReceiver,
  helmRender,
  ignoreComment,
]

export function ruleById(id: string): Rule | undefined {
  return lintRules.find((rule) => rule.id === id)
}
