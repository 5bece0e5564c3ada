/**
 * Kubernetes API versions removed from the API server, and what replaces them: the upstream
 * "Deprecated API Migration Guide" (kubernetes/website content/en/docs/reference/using-api/
 * deprecation-guide.md), the table pluto checks against before an EKS upgrade. An object written
 * with a removed apiVersion (in a helm release's manifest, a Git repository, a last-applied
 * annotation) cannot be applied or upgraded on a cluster at or past that minor.
 */
export interface RemovedApi {
  apiVersion: string
  kind: string
  /** The minor it is no longer served in, e.g. 22 for 1.22. */
  removedIn: number
  /** The apiVersion to move to, or undefined when the kind itself is gone. */
  replacement?: string
}

const removals: Array<[apiVersion: string, kinds: string[], removedIn: number, replacement?: string]> = [
  ['extensions/v1beta1', ['Deployment', 'DaemonSet', 'ReplicaSet'], 16, 'apps/v1'],
  ['extensions/v1beta1', ['NetworkPolicy'], 16, 'networking.k8s.io/v1'],
  ['extensions/v1beta1', ['PodSecurityPolicy'], 16, 'policy/v1beta1'],
  ['extensions/v1beta1', ['Ingress'], 22, 'networking.k8s.io/v1'],
  ['apps/v1beta1', ['Deployment', 'StatefulSet', 'ReplicaSet', 'DaemonSet', 'ControllerRevision'], 16, 'apps/v1'],
  ['apps/v1beta2', ['Deployment', 'StatefulSet', 'ReplicaSet', 'DaemonSet', 'ControllerRevision'], 16, 'apps/v1'],
  ['networking.k8s.io/v1beta1', ['Ingress', 'IngressClass'], 22, 'networking.k8s.io/v1'],
  ['apiextensions.k8s.io/v1beta1', ['CustomResourceDefinition'], 22, 'apiextensions.k8s.io/v1'],
  ['admissionregistration.k8s.io/v1beta1', ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'], 22, 'admissionregistration.k8s.io/v1'],
  ['apiregistration.k8s.io/v1beta1', ['APIService'], 22, 'apiregistration.k8s.io/v1'],
  ['authentication.k8s.io/v1beta1', ['TokenReview'], 22, 'authentication.k8s.io/v1'],
  ['authorization.k8s.io/v1beta1', ['SubjectAccessReview', 'LocalSubjectAccessReview', 'SelfSubjectAccessReview'], 22, 'authorization.k8s.io/v1'],
  ['certificates.k8s.io/v1beta1', ['CertificateSigningRequest'], 22, 'certificates.k8s.io/v1'],
  ['coordination.k8s.io/v1beta1', ['Lease'], 22, 'coordination.k8s.io/v1'],
  ['rbac.authorization.k8s.io/v1beta1', ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'], 22, 'rbac.authorization.k8s.io/v1'],
  ['scheduling.k8s.io/v1beta1', ['PriorityClass'], 22, 'scheduling.k8s.io/v1'],
  ['storage.k8s.io/v1beta1', ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'], 22, 'storage.k8s.io/v1'],
  ['batch/v1beta1', ['CronJob'], 25, 'batch/v1'],
  ['discovery.k8s.io/v1beta1', ['EndpointSlice'], 25, 'discovery.k8s.io/v1'],
  ['events.k8s.io/v1beta1', ['Event'], 25, 'events.k8s.io/v1'],
  ['autoscaling/v2beta1', ['HorizontalPodAutoscaler'], 25, 'autoscaling/v2'],
  ['policy/v1beta1', ['PodDisruptionBudget'], 25, 'policy/v1'],
  ['policy/v1beta1', ['PodSecurityPolicy'], 25],
  ['node.k8s.io/v1beta1', ['RuntimeClass'], 25, 'node.k8s.io/v1'],
  ['autoscaling/v2beta2', ['HorizontalPodAutoscaler'], 26, 'autoscaling/v2'],
  ['flowcontrol.apiserver.k8s.io/v1beta1', ['FlowSchema', 'PriorityLevelConfiguration'], 26, 'flowcontrol.apiserver.k8s.io/v1'],
  ['storage.k8s.io/v1beta1', ['CSIStorageCapacity'], 27, 'storage.k8s.io/v1'],
  ['flowcontrol.apiserver.k8s.io/v1beta2', ['FlowSchema', 'PriorityLevelConfiguration'], 29, 'flowcontrol.apiserver.k8s.io/v1'],
  ['flowcontrol.apiserver.k8s.io/v1beta3', ['FlowSchema', 'PriorityLevelConfiguration'], 32, 'flowcontrol.apiserver.k8s.io/v1'],
]

const byKey = new Map<string, RemovedApi>()
for (const [apiVersion, kinds, removedIn, replacement] of removals) for (const kind of kinds) byKey.set(`${apiVersion}/${kind}`, {apiVersion, kind, removedIn, replacement})

/** The removal that applies to an object at a target minor (e.g. 36 for 1.36), if any. */
export function removedApi(apiVersion: string, kind: string, targetMinor: number): RemovedApi | undefined {
  const removal = byKey.get(`${apiVersion}/${kind}`)
  return removal && removal.removedIn <= targetMinor ? removal : undefined
}

/** "1.36" or "v1.36.2" -> 36 (Kubernetes 1.x only). */
export function parseMinor(version: string): number | undefined {
  const match = /^v?1\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(version.trim())
  return match ? Number(match[1]) : undefined
}
