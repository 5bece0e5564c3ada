import type {KubeObject, PathSegment} from './types.js'

export type Obj = Record<string, unknown>

export function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function asObj(value: unknown): Obj {
  return isObj(value) ? value : {}
}

export function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** The API group of an apiVersion: '' for the core group (`v1`). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.lastIndexOf('/')
  return slash === -1 ? '' : apiVersion.slice(0, slash)
}

/** True when the value has what `kubectl apply` needs to address it. */
export function isKubeObject(value: unknown): value is KubeObject {
  if (!isObj(value)) return false
  const metadata = value.metadata
  return (
    typeof value.apiVersion === 'string' &&
    value.apiVersion !== '' &&
    typeof value.kind === 'string' &&
    value.kind !== '' &&
    isObj(metadata) &&
    typeof metadata.name === 'string' &&
    metadata.name !== ''
  )
}

/**
 * Kinds that have no namespace, by group. Custom resources add theirs from the CRDs in the
 * repository (ObjectIndex); these are the built-in ones and those of the add-ons this cluster runs.
 */
const clusterScoped: Record<string, readonly string[]> = {
  '': ['Namespace', 'Node', 'PersistentVolume', 'ComponentStatus'],
  'rbac.authorization.k8s.io': ['ClusterRole', 'ClusterRoleBinding'],
  'apiextensions.k8s.io': ['CustomResourceDefinition'],
  'apiregistration.k8s.io': ['APIService'],
  'admissionregistration.k8s.io': [
    'MutatingWebhookConfiguration',
    'ValidatingWebhookConfiguration',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
    'MutatingAdmissionPolicy',
    'MutatingAdmissionPolicyBinding',
  ],
  'storage.k8s.io': ['StorageClass', 'CSIDriver', 'CSINode', 'VolumeAttachment', 'VolumeAttributesClass'],
  'scheduling.k8s.io': ['PriorityClass'],
  policy: ['PodSecurityPolicy'],
  'node.k8s.io': ['RuntimeClass'],
  'networking.k8s.io': ['IngressClass', 'IPAddress', 'ServiceCIDR'],
  'certificates.k8s.io': ['CertificateSigningRequest', 'ClusterTrustBundle'],
  'flowcontrol.apiserver.k8s.io': ['FlowSchema', 'PriorityLevelConfiguration'],
  'resource.k8s.io': ['DeviceClass', 'ResourceSlice'],
  'cert-manager.io': ['ClusterIssuer'],
  'snapshot.storage.k8s.io': ['VolumeSnapshotClass', 'VolumeSnapshotContent'],
}

export function isBuiltinClusterScoped(group: string, kind: string): boolean {
  return clusterScoped[group]?.includes(kind) ?? false
}

/** Namespaces every cluster has, which no repository needs to declare. */
export const builtinNamespaces: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease'])

export function describeObject(object: KubeObject, namespace: string | undefined): string {
  return namespace ? `${object.kind} "${object.metadata.name}" in ${namespace}` : `${object.kind} "${object.metadata.name}"`
}

/** A map's keys and values as the API server decodes them (map[string]string: null is ""). */
export function stringMap(value: unknown): Array<[string, string]> {
  return Object.entries(asObj(value)).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)])
}

/** The labels of an object or a pod template, as strings. */
export function labelsOf(object: {metadata?: unknown}): Record<string, string> {
  return Object.fromEntries(stringMap(asObj(object.metadata).labels))
}

/** `spec.template.spec.containers[0].name`, `data["not a key"]`: how messages name a field. */
export function fieldPath(path: readonly PathSegment[]): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) out += out === '' ? segment : `.${segment}`
    else out += `[${JSON.stringify(segment)}]`
  }
  return out
}

/**
 * A Kubernetes LabelSelector (matchLabels + matchExpressions) against a set of labels, as the
 * API machinery evaluates it. An empty selector selects everything.
 */
export function selectorMatches(selector: unknown, labels: Record<string, string>): boolean {
  const sel = asObj(selector)
  for (const [key, value] of Object.entries(asObj(sel.matchLabels))) if (labels[key] !== String(value)) return false
  for (const expression of asList(sel.matchExpressions)) {
    const {key, operator, values} = asObj(expression)
    if (typeof key !== 'string') return false
    const list = asList(values).map(String)
    const has = Object.hasOwn(labels, key)
    switch (operator) {
      case 'In':
        if (!has || !list.includes(labels[key])) return false
        break
      case 'NotIn':
        if (has && list.includes(labels[key])) return false
        break
      case 'Exists':
        if (!has) return false
        break
      case 'DoesNotExist':
        if (has) return false
        break
      default:
        return false
    }
  }
  return true
}

export function describeSelector(selector: unknown): string {
  const sel = asObj(selector)
  const parts = Object.entries(asObj(sel.matchLabels)).map(([k, v]) => `${k}=${String(v)}`)
  for (const expression of asList(sel.matchExpressions)) {
    const {key, operator, values} = asObj(expression)
    const list = asList(values).map(String)
    parts.push(
      operator === 'Exists'
        ? String(key)
        : operator === 'DoesNotExist'
          ? `!${String(key)}`
          : `${String(key)} ${operator === 'NotIn' ? 'notin' : 'in'} (${list.join(',')})`,
    )
  }
  return parts.join(', ')
}

/** Prometheus' duration syntax (model.ParseDuration): units in order, at least one. */
const prometheusDuration = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/

export function isPrometheusDuration(value: unknown): boolean {
  if (typeof value !== 'string' || value === '') return false
  return value === '0' || prometheusDuration.test(value)
}

/** Milliseconds of a Go duration ("1m30s", "90s", "0.5m"): the one grammar, src/lib/duration.ts. */
export {parseGoDuration} from '../duration.js'
