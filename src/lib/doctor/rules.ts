import {apiDeprecated, apiRemoved} from '../rules/deprecations.js'
import {runRules} from '../rules/engine.js'
import {flaggerAnalysisSteps, flaggerMetricInterval, flaggerNginxNamespace} from '../rules/flagger.js'
import {ObjectIndex} from '../rules/object-index.js'
import {flaggerRefMissing} from '../rules/references.js'
import type {ResolvedFinding, Rule, SourcedDocument} from '../rules/types.js'
import type {KubeObject} from './reader.js'

/**
 * `elife-k8s lint`'s rules run on live objects: the same engine and the same rules, fed from the
 * API instead of files (source {cluster}), so a gotcha is defined once for both commands.
 */
export const liveFlaggerRules: readonly Rule[] = [flaggerAnalysisSteps, flaggerMetricInterval, flaggerNginxNamespace, flaggerRefMissing]
export const removedApiRules: readonly Rule[] = [apiRemoved, apiDeprecated]

/** A list's items as documents; the API leaves apiVersion and kind off the items of a list. */
export function liveDocuments(items: readonly KubeObject[], apiVersion: string, kind: string, cluster: string): SourcedDocument[] {
  return items.map((item) => ({value: {...item, apiVersion: item.apiVersion ?? apiVersion, kind: item.kind ?? kind}, source: {cluster}}))
}

export function runLiveRules(documents: readonly SourcedDocument[], rules: readonly Rule[], kubernetesVersion?: string): ResolvedFinding[] {
  return runRules(new ObjectIndex({documents, kubernetesVersion}), rules).findings
}

/** `Kind namespace/name: message`, the doctor's line for a rule finding. */
export function findingLine(finding: ResolvedFinding): string {
  const object = finding.object
  const ref = object ? `${object.kind} ${object.namespace ? `${object.namespace}/` : ''}${object.name}` : (finding.cluster ?? '')
  return `${ref}: ${finding.message}`
}
