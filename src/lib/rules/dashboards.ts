import {asObj, asString, isObj} from './kube.js'
import type {ObjectIndex} from './object-index.js'
import type {Rule, SourcedObject} from './types.js'

// Issue 17, rule 8: Grafana dashboards (runbook, "Dashboards": a ConfigMap in adm with the
// grafana_dashboard label) and the oauth2-proxy annotations (runbook, "Authentication").

const group = 'Dashboards and auth'

interface SidecarConfig {
  label: string
  /** undefined: any value of the label is picked up. */
  labelValue?: string
  /** undefined: every namespace. */
  namespaces?: ReadonlySet<string>
  from: string
}

/**
 * Where Grafana's dashboard sidecar looks, from the prometheus-operator HelmRelease's
 * grafana.sidecar.dashboards values: the release's namespace unless searchNamespace says
 * otherwise. Without such a release, the runbook's convention: label grafana_dashboard in adm.
 */
export function dashboardSidecar(index: ObjectIndex): SidecarConfig {
  for (const release of index.prometheusOperatorReleases()) {
    const dashboards = asObj(asObj(asObj(asObj(asObj(release.object.spec).values).grafana).sidecar).dashboards)
    const search = dashboards.searchNamespace
    const namespaces =
      search === 'ALL'
        ? undefined
        : new Set(typeof search === 'string' && search !== '' ? search.split(',').map((s) => s.trim()) : [index.helmTargetNamespace(release)])
    const labelValue =
      dashboards.labelValue === undefined || dashboards.labelValue === null || dashboards.labelValue === '' ? undefined : String(dashboards.labelValue)
    return {label: asString(dashboards.label) ?? 'grafana_dashboard', labelValue, namespaces, from: `HelmRelease "${release.object.metadata.name}"`}
  }
  return {label: 'grafana_dashboard', namespaces: new Set(['adm']), from: 'the runbook (no prometheus-operator HelmRelease in the repository)'}
}

function dashboardConfigMaps(index: ObjectIndex, label: string): SourcedObject[] {
  return index.ofKind('ConfigMap', ['']).filter((item) => isObj(item.object.metadata.labels) && Object.hasOwn(item.object.metadata.labels, label))
}

export const dashboardNamespace: Rule = {
  id: 'dashboard-namespace',
  severity: 'error',
  group,
  summary: "Dashboard ConfigMaps (label grafana_dashboard) are in the namespace Grafana's sidecar watches (adm).",
  hint: 'move the ConfigMap to the namespace Grafana runs in (runbook: "add a ConfigMap to the adm namespace")',
  check(index, report) {
    const sidecar = dashboardSidecar(index)
    if (!sidecar.namespaces) return
    for (const item of dashboardConfigMaps(index, sidecar.label)) {
      const namespace = index.namespaceOf(item.object) ?? 'default'
      if (sidecar.namespaces.has(namespace)) continue
      report({
        on: item,
        path: ['metadata', 'namespace'],
        message: `dashboard ConfigMap is in ${namespace}, but Grafana's sidecar only watches ${[...sidecar.namespaces].join(', ')} (${sidecar.from})`,
      })
    }
  },
}

export const dashboardLabelValue: Rule = {
  id: 'dashboard-label-value',
  severity: 'error',
  group,
  summary: "Dashboard ConfigMaps carry the label value Grafana's sidecar selects (grafana.sidecar.dashboards.labelValue).",
  hint: 'set the label to the value the sidecar selects (runbook: grafana_dashboard: "1")',
  check(index, report) {
    const sidecar = dashboardSidecar(index)
    if (sidecar.labelValue === undefined) return
    for (const item of dashboardConfigMaps(index, sidecar.label)) {
      const value = String(asObj(item.object.metadata.labels)[sidecar.label] ?? '')
      if (value !== sidecar.labelValue)
        report({
          on: item,
          path: ['metadata', 'labels', sidecar.label],
          message: `label ${sidecar.label}="${value}" is not the value Grafana's sidecar selects ("${sidecar.labelValue}", ${sidecar.from})`,
        })
    }
  },
}

interface Dashboard {
  item: SourcedObject
  key: string
  uid?: string
}

const parsed = new WeakMap<ObjectIndex, Dashboard[]>()

/** The dashboards of the index, parsed once (dashboards are most of a repository's bytes). */
function parseDashboards(index: ObjectIndex, onError?: (item: SourcedObject, key: string, message: string) => void): Dashboard[] {
  const cached = parsed.get(index)
  if (cached && !onError) return cached
  const sidecar = dashboardSidecar(index)
  const dashboards: Dashboard[] = []
  for (const item of dashboardConfigMaps(index, sidecar.label)) {
    const data = asObj(item.object.data)
    const keys = Object.keys(data).filter((key) => key.endsWith('.json'))
    if (keys.length === 0) onError?.(item, '', 'the dashboard ConfigMap has no data key ending in .json, so Grafana loads nothing from it')
    for (const key of keys) {
      const text = data[key]
      if (typeof text !== 'string') {
        onError?.(item, key, `data.${key} is not a string`)
        continue
      }
      try {
        const json: unknown = JSON.parse(text)
        if (!isObj(json)) onError?.(item, key, `data.${key} is JSON but not an object (a dashboard)`)
        dashboards.push({item, key, uid: isObj(json) ? asString(json.uid) : undefined})
      } catch (error) {
        onError?.(item, key, `data.${key} is not valid JSON: ${(error as Error).message}`)
      }
    }
  }
  parsed.set(index, dashboards)
  return dashboards
}

export const dashboardJson: Rule = {
  id: 'dashboard-json',
  severity: 'error',
  group,
  summary: 'Every dashboard ConfigMap holds .json data that parses as a JSON object.',
  hint: 'export the dashboard again from Grafana (Share > Export > Save to file) and paste it whole under a |- block',
  check(index, report) {
    parseDashboards(index, (item, key, message) => report({on: item, path: key ? ['data', key] : ['data'], message}))
  },
}

export const dashboardUidDuplicate: Rule = {
  id: 'dashboard-uid-duplicate',
  severity: 'error',
  group,
  summary: 'No two dashboards share a uid (Grafana keeps one of them, whichever it reads last).',
  hint: 'give each dashboard its own uid (or remove the uid and let Grafana assign one)',
  check(index, report) {
    const seen = new Map<string, Dashboard>()
    for (const dashboard of parseDashboards(index)) {
      if (!dashboard.uid) continue
      const first = seen.get(dashboard.uid)
      if (!first) {
        seen.set(dashboard.uid, dashboard)
        continue
      }
      const where = 'file' in first.item.source ? `${first.item.source.file}:${first.item.source.line}` : `ConfigMap "${first.item.object.metadata.name}"`
      report({on: dashboard.item, path: ['data', dashboard.key], message: `dashboard uid "${dashboard.uid}" is also used by ${first.key} at ${where}`})
    }
  },
}

const authUrl = 'nginx.ingress.kubernetes.io/auth-url'
const authSignin = 'nginx.ingress.kubernetes.io/auth-signin'

function ingresses(index: ObjectIndex): readonly SourcedObject[] {
  return index.ofKind('Ingress', ['networking.k8s.io', 'extensions'])
}

export const oauthAnnotations: Rule = {
  id: 'oauth-annotations',
  severity: 'error',
  group,
  summary: 'An Ingress with one of the oauth2-proxy annotations (auth-url, auth-signin) has both.',
  hint: 'add both annotations as the runbook shows ("Authentication"): auth-url checks the session, auth-signin sends the browser to log in',
  check(index, report) {
    for (const item of ingresses(index)) {
      const annotations = asObj(item.object.metadata.annotations)
      const hasUrl = annotations[authUrl] !== undefined
      const hasSignin = annotations[authSignin] !== undefined
      if (hasUrl === hasSignin) continue
      const [present, missing] = hasUrl ? [authUrl, authSignin] : [authSignin, authUrl]
      report({
        on: item,
        path: ['metadata', 'annotations', present],
        message: `the Ingress has ${present} but not ${missing}${hasUrl ? ' (users get a bare 401 instead of the login page)' : ' (nothing checks the session: the service is open)'}`,
      })
    }
  },
}

export const oauthSigninRd: Rule = {
  id: 'oauth-signin-rd',
  severity: 'error',
  group,
  summary: 'The auth-signin annotation keeps its rd= redirect URL escaped (rd=https%3A%2F%2F$host$request_uri).',
  hint: 'escape the redirect as the runbook does: ...oauth2/start?rd=https%3A%2F%2F$host$request_uri',
  check(index, report) {
    for (const item of ingresses(index)) {
      const signin = asObj(item.object.metadata.annotations)[authSignin]
      if (typeof signin !== 'string') continue
      const match = /[?&]rd=([^&]*)/.exec(signin)
      if (!match || !/[:/?]/.test(match[1])) continue
      report({
        on: item,
        path: ['metadata', 'annotations', authSignin],
        message: `the rd= redirect in ${authSignin} is not URL-escaped ("${match[1]}"): a query string in $request_uri then ends rd= at its first &, and users land on the wrong page after logging in`,
      })
    }
  },
}
