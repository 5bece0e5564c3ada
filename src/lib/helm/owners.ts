import type {CustomObjectsApi} from '@kubernetes/client-node'

import {httpStatus} from '../kube/errors.js'

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

export interface OwnerIndex {
  owners: Map<string, OwnerRef & {object: HelmReleaseObject}>
  /** What could not be looked at (CRD missing is normal; RBAC is worth a note). */
  notes: string[]
}

export function ownerKey(namespace: string, release: string): string {
  return `${namespace}/${release}`
}

/**
 * Every HelmRelease of both generations, indexed by the release it manages. A HelmRelease may
 * manage a release in another namespace (targetNamespace), so this looks cluster-wide first and
 * falls back to the given namespace when RBAC says no. A missing CRD (404) means that controller
 * is not installed: no owners of that kind.
 */
export async function findOwners(custom: CustomObjectsApi, namespace?: string): Promise<OwnerIndex> {
  const owners: OwnerIndex['owners'] = new Map()
  const notes: string[] = []
  for (const api of helmReleaseApis) {
    for (const version of api.versions) {
      const items = await listHelmReleases(custom, api.group, version, namespace, notes)
      if (items === undefined) continue
      for (const hr of items) {
        const {namespace: releaseNamespace, release} = managedRelease(api.controller, hr)
        owners.set(ownerKey(releaseNamespace, release), {
          controller: api.controller,
          apiVersion: `${api.group}/${version}`,
          kind: 'HelmRelease',
          namespace: hr.metadata?.namespace ?? '',
          name: hr.metadata?.name ?? '',
          object: hr,
        })
      }
      break
    }
  }
  return {owners, notes}
}

async function listHelmReleases(
  custom: CustomObjectsApi,
  group: string,
  version: string,
  namespace: string | undefined,
  notes: string[],
): Promise<HelmReleaseObject[] | undefined> {
  try {
    const list = (await custom.listClusterCustomObject({group, version, plural: 'helmreleases'})) as {items?: HelmReleaseObject[]}
    return list.items ?? []
  } catch (error) {
    const status = httpStatus(error)
    if (status === 404) return undefined
    if (status !== 403) throw error
  }
  if (!namespace) {
    notes.push(`not allowed to list HelmReleases (${group}) cluster-wide; owners of that kind are not shown`)
    return []
  }
  try {
    const list = (await custom.listNamespacedCustomObject({group, version, namespace, plural: 'helmreleases'})) as {items?: HelmReleaseObject[]}
    return list.items ?? []
  } catch (error) {
    const status = httpStatus(error)
    if (status === 404) return undefined
    if (status === 403) {
      notes.push(`not allowed to list HelmReleases (${group}) in ${namespace}; owners of that kind are not shown`)
      return []
    }
    throw error
  }
}

export function describeOwner(owner: OwnerRef | undefined): string {
  if (!owner) return '-'
  return `${owner.controller === 'helm-operator' ? 'helm-operator' : 'flux'} ${owner.namespace}/${owner.name}`
}
