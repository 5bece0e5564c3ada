import {configKey} from '../alertmanager/secret.js'
import {checkAlertmanagerConfig} from '../alertmanager/validate.js'
import {type CheckOutcome, type DoctorCheck, type DoctorContext, listSome, objectRef, ok, plural} from './check.js'
import {core, type KubeObject, type Resource} from './reader.js'
import {describeSelector, selectorMatches} from '../rules/kube.js'

/** A LabelSelector as the Prometheus operator's CRDs carry it (matchLabels, matchExpressions). */
type LabelSelector = Record<string, unknown>

const monitoring = (plural: string): Resource => ({group: 'monitoring.coreos.com', version: 'v1', plural})

export const alertmanagerConfig: DoctorCheck = {
  id: 'alertmanager-config',
  title: 'Alertmanager configuration secret',
  async run({reader}, options) {
    const where = `Secret ${options.monitoringNamespace}/${options.alertmanagerSecret}`
    const fix = `elife-k8s alertmanager apply -n ${options.monitoringNamespace} --template alertmanager-secret.yaml-template`
    const secret = await reader.get(core('secrets'), options.alertmanagerSecret, options.monitoringNamespace)
    if (!secret) return {status: 'fail', message: `${where} does not exist: Alertmanager runs without the runbook's configuration`, fix}
    const encoded = secret.data?.[configKey]
    if (encoded === undefined) return {status: 'fail', message: `${where} has no "${configKey}" key`, fix}
    // Checked in memory, never printed: the config holds the webhook URLs. Messages name keys only.
    const check = checkAlertmanagerConfig(Buffer.from(encoded, 'base64').toString('utf8'))
    if (check.errors.length > 0)
      return {status: 'fail', message: `${where}: Alertmanager would refuse its ${configKey}: ${listSome(check.errors, 3)}`, objects: check.errors, fix}
    if (check.unusedReceivers.length > 0)
      return {
        status: 'warn',
        message: `${where} is valid, but ${plural(check.unusedReceivers.length, 'receiver')} no route uses: ${check.unusedReceivers.join(', ')}`,
        fix,
      }
    return ok(`${where} is a valid configuration (${plural(check.receivers.length, 'receiver')})`)
  },
}

interface SelectingPrometheus {
  ref: string
  namespace: string
  selector: LabelSelector | null
  namespaceSelector: LabelSelector | null | undefined
}

/** Which Prometheus objects would load an object of this kind (their selector and namespace selector). */
function selectors(prometheuses: KubeObject[], field: 'rule' | 'serviceMonitor'): SelectingPrometheus[] {
  return prometheuses.map((p) => {
    const spec = (p.spec ?? {}) as Record<string, LabelSelector | null | undefined>
    return {
      ref: objectRef('Prometheus', p.metadata),
      namespace: p.metadata?.namespace ?? '',
      selector: spec[`${field}Selector`] ?? null,
      namespaceSelector: spec[`${field}NamespaceSelector`],
    }
  })
}

/**
 * The operator's rules (prometheus-operator's selectRules/selectServiceMonitors): a null selector
 * selects nothing, an empty one everything; a null namespace selector means the Prometheus' own
 * namespace only, an empty one every namespace.
 */
export function isSelected(object: KubeObject, by: SelectingPrometheus, namespaceLabels: Map<string, Record<string, string>>): boolean {
  if (!by.selector || !selectorMatches(by.selector, object.metadata?.labels ?? {})) return false
  const namespace = object.metadata?.namespace ?? ''
  if (by.namespaceSelector === null || by.namespaceSelector === undefined) return namespace === by.namespace
  return selectorMatches(by.namespaceSelector, namespaceLabels.get(namespace) ?? {})
}

async function selectionCheck(ctx: DoctorContext, kind: 'PrometheusRule' | 'ServiceMonitor'): Promise<CheckOutcome> {
  const resource = monitoring(kind === 'PrometheusRule' ? 'prometheusrules' : 'servicemonitors')
  const [prometheuses, objects, namespaces] = await Promise.all([
    ctx.reader.list(monitoring('prometheuses')),
    ctx.reader.list(resource),
    ctx.reader.list(core('namespaces')),
  ])
  if (prometheuses === undefined || objects === undefined)
    return {status: 'skipped', message: "the Prometheus operator's CRDs (monitoring.coreos.com) are not installed"}
  if (prometheuses.length === 0) return {status: 'skipped', message: 'no Prometheus object in the cluster'}
  const labels = new Map((namespaces ?? []).map((n) => [n.metadata?.name ?? '', n.metadata?.labels ?? {}]))
  const by = selectors(prometheuses, kind === 'PrometheusRule' ? 'rule' : 'serviceMonitor')
  const unselected = objects.filter((o) => !by.some((p) => isSelected(o, p, labels)))
  if (unselected.length === 0)
    return ok(
      `${plural(objects.length, kind)}, ${objects.length === 1 ? 'loaded' : 'all loaded'} by ${listSome(
        by.map((p) => p.ref),
        2,
      )}`,
    )
  const field = kind === 'PrometheusRule' ? 'ruleSelector' : 'serviceMonitorSelector'
  return {
    status: 'fail',
    message: `${unselected.length} of ${plural(objects.length, kind)} never loaded (no Prometheus selects them): ${listSome(unselected.map((o) => objectRef(kind, o.metadata)))}; ${by.map((p) => `${p.ref} selects ${p.selector ? describeSelector(p.selector) || '(empty: everything)' : '(none: nothing)'}`).join('; ')}`,
    objects: unselected.map((o) => objectRef(kind, o.metadata)),
    fix: `give ${kind === 'PrometheusRule' ? 'the rule' : 'it'} the label the Prometheus' ${field} selects (runbook: "give it an app label and add this to the ruleSelector"), or widen the selector in the prometheus-operator HelmRelease`,
  }
}

export const prometheusRules: DoctorCheck = {
  id: 'prometheus-rules',
  title: 'PrometheusRules loaded by Prometheus',
  run: (ctx) => selectionCheck(ctx, 'PrometheusRule'),
}
export const serviceMonitors: DoctorCheck = {
  id: 'service-monitors',
  title: 'ServiceMonitors scraped by Prometheus',
  run: (ctx) => selectionCheck(ctx, 'ServiceMonitor'),
}

/** The label the runbook's dashboards carry and the Grafana sidecar selects (`grafana_dashboard: "1"`). */
export const dashboardLabel = 'grafana_dashboard'

export const dashboards: DoctorCheck = {
  id: 'dashboards',
  title: 'Grafana dashboards',
  async run({reader}, options) {
    const maps = (await reader.list(core('configmaps'), {labelSelector: dashboardLabel})) ?? []
    if (maps.length === 0)
      return {
        status: 'warn',
        message: `no ConfigMap labelled ${dashboardLabel}: Grafana shows no dashboards of ours`,
        fix: `add the dashboard's JSON in a ConfigMap in ${options.monitoringNamespace} labelled ${dashboardLabel}: "1" (runbook, Dashboards)`,
      }
    const problems: string[] = []
    const uids = new Map<string, string>()
    for (const map of maps) {
      const ref = objectRef('ConfigMap', map.metadata)
      if (map.metadata?.namespace !== options.monitoringNamespace)
        problems.push(`${ref} is outside ${options.monitoringNamespace}, where Grafana's sidecar looks`)
      for (const [key, text] of Object.entries(map.data ?? {})) {
        let uid: unknown
        try {
          uid = (JSON.parse(text) as {uid?: unknown}).uid
        } catch (error) {
          problems.push(`${ref} key ${key} is not JSON (${(error as Error).message.split('\n')[0]})`)
          continue
        }
        if (typeof uid === 'string' && uid !== '') {
          const other = uids.get(uid)
          if (other) problems.push(`${ref} key ${key} has dashboard uid "${uid}" already used by ${other}: Grafana keeps only one`)
          else uids.set(uid, `${ref} key ${key}`)
        }
      }
    }
    if (problems.length > 0)
      return {
        status: 'fail',
        message: `${plural(problems.length, 'dashboard problem')}: ${listSome(problems, 3)}`,
        objects: problems,
        fix: 'elife-k8s lint (the dashboards rules say what to change in the repository)',
      }
    return ok(`${plural(maps.length, 'dashboard ConfigMap')} in ${options.monitoringNamespace}, JSON valid, uids unique`)
  },
}
