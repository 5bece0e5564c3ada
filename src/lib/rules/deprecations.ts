import type {ObjectIndex} from './object-index.js'
import type {Rule} from './types.js'

// Issue 17, rule 3: deprecated and removed APIs for the target Kubernetes version (what pluto
// reports before an EKS upgrade). The table is Kubernetes' deprecation guide
// (kubernetes.io/docs/reference/using-api/deprecation-guide), as pluto's versions.yaml has it.

const group = 'Deprecated APIs'

export interface ApiVersionChange {
  apiVersion: string
  kind: string
  /** The minor version that deprecated it ("1.16"). */
  deprecatedIn: string
  /** The minor version that no longer serves it; undefined when no removal is scheduled. */
  removedIn?: string
  /** What to use instead; undefined when there is no replacement (PodSecurityPolicy). */
  replacement?: string
}

const table: Array<[apiVersion: string, kinds: string[], deprecatedIn: string, removedIn: string | undefined, replacement: string | undefined]> = [
  ['extensions/v1beta1', ['Deployment', 'DaemonSet', 'ReplicaSet'], '1.9', '1.16', 'apps/v1'],
  ['extensions/v1beta1', ['NetworkPolicy'], '1.9', '1.16', 'networking.k8s.io/v1'],
  ['extensions/v1beta1', ['PodSecurityPolicy'], '1.10', '1.16', 'policy/v1beta1'],
  ['apps/v1beta1', ['Deployment', 'StatefulSet', 'ReplicaSet'], '1.9', '1.16', 'apps/v1'],
  ['apps/v1beta2', ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'], '1.9', '1.16', 'apps/v1'],
  ['extensions/v1beta1', ['Ingress'], '1.14', '1.22', 'networking.k8s.io/v1'],
  ['networking.k8s.io/v1beta1', ['Ingress', 'IngressClass'], '1.19', '1.22', 'networking.k8s.io/v1'],
  ['apiextensions.k8s.io/v1beta1', ['CustomResourceDefinition'], '1.16', '1.22', 'apiextensions.k8s.io/v1'],
  [
    'admissionregistration.k8s.io/v1beta1',
    ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'],
    '1.16',
    '1.22',
    'admissionregistration.k8s.io/v1',
  ],
  ['apiregistration.k8s.io/v1beta1', ['APIService'], '1.19', '1.22', 'apiregistration.k8s.io/v1'],
  ['certificates.k8s.io/v1beta1', ['CertificateSigningRequest'], '1.19', '1.22', 'certificates.k8s.io/v1'],
  ['coordination.k8s.io/v1beta1', ['Lease'], '1.19', '1.22', 'coordination.k8s.io/v1'],
  ['rbac.authorization.k8s.io/v1beta1', ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'], '1.17', '1.22', 'rbac.authorization.k8s.io/v1'],
  ['scheduling.k8s.io/v1beta1', ['PriorityClass'], '1.14', '1.22', 'scheduling.k8s.io/v1'],
  ['storage.k8s.io/v1beta1', ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'], '1.19', '1.22', 'storage.k8s.io/v1'],
  ['batch/v1beta1', ['CronJob'], '1.21', '1.25', 'batch/v1'],
  ['discovery.k8s.io/v1beta1', ['EndpointSlice'], '1.21', '1.25', 'discovery.k8s.io/v1'],
  ['events.k8s.io/v1beta1', ['Event'], '1.19', '1.25', 'events.k8s.io/v1'],
  ['autoscaling/v2beta1', ['HorizontalPodAutoscaler'], '1.22', '1.25', 'autoscaling/v2'],
  ['policy/v1beta1', ['PodDisruptionBudget'], '1.21', '1.25', 'policy/v1'],
  ['policy/v1beta1', ['PodSecurityPolicy'], '1.21', '1.25', undefined],
  ['node.k8s.io/v1beta1', ['RuntimeClass'], '1.20', '1.25', 'node.k8s.io/v1'],
  ['flowcontrol.apiserver.k8s.io/v1beta1', ['FlowSchema', 'PriorityLevelConfiguration'], '1.23', '1.26', 'flowcontrol.apiserver.k8s.io/v1'],
  ['autoscaling/v2beta2', ['HorizontalPodAutoscaler'], '1.23', '1.26', 'autoscaling/v2'],
  ['storage.k8s.io/v1beta1', ['CSIStorageCapacity'], '1.24', '1.27', 'storage.k8s.io/v1'],
  ['flowcontrol.apiserver.k8s.io/v1beta2', ['FlowSchema', 'PriorityLevelConfiguration'], '1.26', '1.29', 'flowcontrol.apiserver.k8s.io/v1'],
  ['flowcontrol.apiserver.k8s.io/v1beta3', ['FlowSchema', 'PriorityLevelConfiguration'], '1.29', '1.32', 'flowcontrol.apiserver.k8s.io/v1'],
  ['v1', ['Endpoints'], '1.33', undefined, 'discovery.k8s.io/v1 EndpointSlice'],
]

export const apiVersionChanges: readonly ApiVersionChange[] = table.flatMap(([apiVersion, kinds, deprecatedIn, removedIn, replacement]) =>
  kinds.map((kind) => ({apiVersion, kind, deprecatedIn, removedIn, replacement})),
)

/** The newest Kubernetes minor EKS supports (the local test cluster runs it too; scripts/cluster/versions.env). */
export const defaultKubernetesVersion = '1.35'

/** "1.25" or "v1.25.3" -> [1, 25]; undefined if it is not a version. */
export function parseMinor(version: string): [number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.\d+)?$/.exec(version.trim())
  return match ? [Number(match[1]), Number(match[2])] : undefined
}

function atOrAfter(target: string, version: string): boolean {
  const [tMajor, tMinor] = parseMinor(target) ?? [0, 0]
  const [vMajor, vMinor] = parseMinor(version) ?? [0, 0]
  return tMajor > vMajor || (tMajor === vMajor && tMinor >= vMinor)
}

function changeOf(apiVersion: string, kind: string): ApiVersionChange | undefined {
  return apiVersionChanges.find((change) => change.apiVersion === apiVersion && change.kind === kind)
}

function instead(change: ApiVersionChange): string {
  return change.replacement ? `use ${change.replacement}` : 'it has no replacement'
}

function each(index: ObjectIndex, fn: (item: ObjectIndex['objects'][number], change: ApiVersionChange) => void): void {
  for (const item of index.objects) {
    const change = changeOf(item.object.apiVersion, item.object.kind)
    if (change) fn(item, change)
  }
}

export const apiRemoved: Rule = {
  id: 'api-removed',
  severity: 'error',
  group,
  summary: 'No object uses an apiVersion that the target Kubernetes version (--kubernetes-version) no longer serves.',
  hint: 'move the object to the replacement apiVersion (and its schema) before upgrading the cluster',
  check(index, report) {
    each(index, (item, change) => {
      if (!change.removedIn || !atOrAfter(index.kubernetesVersion, change.removedIn)) return
      report({
        on: item,
        path: ['apiVersion'],
        message: `${change.apiVersion} ${change.kind} was removed in Kubernetes ${change.removedIn} (target ${index.kubernetesVersion}): ${instead(change)}`,
      })
    })
  },
}

export const apiDeprecated: Rule = {
  id: 'api-deprecated',
  severity: 'warning',
  group,
  summary: 'No object uses an apiVersion deprecated in the target Kubernetes version (still served, removed later).',
  hint: 'move the object to the replacement apiVersion while both are served',
  check(index, report) {
    each(index, (item, change) => {
      if (!atOrAfter(index.kubernetesVersion, change.deprecatedIn)) return
      if (change.removedIn && atOrAfter(index.kubernetesVersion, change.removedIn)) return
      const removal = change.removedIn ? `, removed in ${change.removedIn}` : ''
      report({
        on: item,
        path: ['apiVersion'],
        message: `${change.apiVersion} ${change.kind} is deprecated since Kubernetes ${change.deprecatedIn}${removal} (target ${index.kubernetesVersion}): ${instead(change)}`,
      })
    })
  },
}
