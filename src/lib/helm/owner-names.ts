/**
 * Which helm release each kind of HelmRelease manages, and how owners are named: pure, with no
 * Kubernetes client (owners.ts does the listing).
 */
export type Controller = 'helm-operator' | 'flux-v2'

/** The HelmRelease object that manages a helm release. */
export interface OwnerRef {
  controller: Controller
  apiVersion: string
  kind: 'HelmRelease'
  /** Where the HelmRelease object lives (not necessarily the release's namespace). */
  namespace: string
  name: string
}

export interface HelmReleaseObject {
  apiVersion?: string
  kind?: string
  metadata?: {name?: string; namespace?: string; annotations?: Record<string, string>; generation?: number}
  spec?: Record<string, unknown>
  status?: Record<string, unknown>
}

/** The two generations of HelmRelease, newest API version first. */
export const helmReleaseApis: ReadonlyArray<{controller: Controller; group: string; versions: string[]}> = [
  {controller: 'helm-operator', group: 'helm.fluxcd.io', versions: ['v1']},
  {controller: 'flux-v2', group: 'helm.toolkit.fluxcd.io', versions: ['v2', 'v2beta2', 'v2beta1']},
]

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * Which helm release (namespace/name) a HelmRelease manages, by each controller's own rules:
 * helm-operator (pkg/apis/helm.fluxcd.io/v1 GetReleaseName, GetTargetNamespace): releaseName,
 * else `<targetNamespace>-<name>`, prefixed with the HelmRelease's namespace when the target
 * namespace differs; the release lives in the target namespace.
 * Flux v2 (helm-controller): releaseName, else `[<targetNamespace>-]<name>`; the release
 * records live in spec.storageNamespace, else the HelmRelease's namespace.
 */
export function managedRelease(controller: Controller, hr: HelmReleaseObject): {namespace: string; release: string} {
  const spec = hr.spec ?? {}
  const hrNamespace = hr.metadata?.namespace || 'default'
  const name = hr.metadata?.name ?? ''
  const targetNamespace = str(spec.targetNamespace)
  const releaseName = str(spec.releaseName)
  if (controller === 'helm-operator') {
    const target = targetNamespace ?? hrNamespace
    const release = releaseName ?? (target === hrNamespace ? `${target}-${name}` : `${hrNamespace}-${target}-${name}`)
    return {namespace: target, release}
  }
  const release = releaseName ?? (targetNamespace ? `${targetNamespace}-${name}` : name)
  return {namespace: str(spec.storageNamespace) ?? hrNamespace, release}
}

export function ownerKey(namespace: string, release: string): string {
  return `${namespace}/${release}`
}

/**
 * Just the fields that name an owner, whatever else the object passed in carries: results
 * (--json) and plans hold these, never a HelmRelease's values or annotations.
 */
export function ownerRef(owner: OwnerRef): OwnerRef {
  return {controller: owner.controller, apiVersion: owner.apiVersion, kind: 'HelmRelease', namespace: owner.namespace, name: owner.name}
}

export function describeOwner(owner: OwnerRef | undefined): string {
  if (!owner) return '-'
  return `${owner.controller === 'helm-operator' ? 'helm-operator' : 'flux'} ${owner.namespace}/${owner.name}`
}
