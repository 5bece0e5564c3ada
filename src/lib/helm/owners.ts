import type {KubeConfig} from '@kubernetes/client-node'

import {httpStatus} from '../kube/errors.js'
import {getJson} from '../kube/raw.js'
import {helmReleaseApis, type HelmReleaseObject, managedRelease, type OwnerRef, ownerKey} from './owner-names.js'

export {type Controller, describeOwner, helmReleaseApis, type HelmReleaseObject, managedRelease, type OwnerRef, ownerKey, ownerRef} from './owner-names.js'

/** A HelmRelease's status as its controller wrote it (phase, conditions): never its spec or annotations. */
export type OwnerStatus = HelmReleaseObject['status']

export interface OwnerIndex {
  /** Names (and, when asked, status) only: a HelmRelease's spec.values and last-applied annotation may hold secrets. */
  owners: Map<string, OwnerRef & {status?: OwnerStatus}>
  /** What could not be looked at (CRD missing is normal; RBAC is worth a note). */
  notes: string[]
}

/**
 * Every HelmRelease of both generations, indexed by the release it manages. A HelmRelease may
 * manage a release in another namespace (targetNamespace), so this looks cluster-wide first and
 * falls back to the given namespace when RBAC says no. A missing CRD (404) means that controller
 * is not installed: no owners of that kind. `withStatus` keeps each one's status (doctor).
 */
export async function findOwners(kc: KubeConfig, namespace?: string, options: {withStatus?: boolean} = {}): Promise<OwnerIndex> {
  const owners: OwnerIndex['owners'] = new Map()
  const notes: string[] = []
  // Every version of both controllers' HelmReleases is asked for at once (one round trip, where
  // asking version after version would cost three on a cluster without Flux v2, which is eLife's);
  // of each group, the newest version the server serves wins, as if they had been tried in turn.
  const asked = helmReleaseApis.map((api) =>
    api.versions.map(async (version) => {
      const versionNotes: string[] = []
      return {version, versionNotes, items: await listHelmReleases(kc, api.group, version, namespace, versionNotes)}
    }),
  )
  const answers = await Promise.all(asked.map((versions) => Promise.allSettled(versions)))
  helmReleaseApis.forEach((api, i) => {
    for (const answer of answers[i]) {
      if (answer.status === 'rejected') throw answer.reason
      const {version, versionNotes, items} = answer.value
      if (items === undefined) continue
      notes.push(...versionNotes)
      for (const hr of items) {
        const {namespace: releaseNamespace, release} = managedRelease(api.controller, hr)
        owners.set(ownerKey(releaseNamespace, release), {
          controller: api.controller,
          apiVersion: `${api.group}/${version}`,
          kind: 'HelmRelease',
          namespace: hr.metadata?.namespace ?? '',
          name: hr.metadata?.name ?? '',
          ...(options.withStatus ? {status: hr.status} : {}),
        })
      }
      return
    }
  })
  return {owners, notes}
}

async function listHelmReleases(
  kc: KubeConfig,
  group: string,
  version: string,
  namespace: string | undefined,
  notes: string[],
): Promise<HelmReleaseObject[] | undefined> {
  try {
    const list = await getJson<{items?: HelmReleaseObject[]}>(kc, `/apis/${group}/${version}/helmreleases`)
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
    const list = await getJson<{items?: HelmReleaseObject[]}>(kc, `/apis/${group}/${version}/namespaces/${encodeURIComponent(namespace)}/helmreleases`)
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
