import type {CoreV1Api, KubeConfig} from '@kubernetes/client-node'

import {CliError} from '../errors.js'
import {findOwners, ownerKey} from './owners.js'
import {type RevisionRow, revisionRow} from './release.js'
import {checkReleaseName, namespacesWithRelease, readHistory, type ReleaseHistory} from './store.js'

/**
 * Every revision of a release, or one clear error: not a valid name, not in this namespace (and
 * where it is instead), or known to a HelmRelease but with no revision recorded by helm.
 */
export async function loadHistory(core: CoreV1Api, kc: KubeConfig, release: string, namespace: string): Promise<ReleaseHistory> {
  checkReleaseName(release)
  const history = await readHistory(core, release, namespace)
  if (history) return history
  throw await noHistoryError(core, kc, release, namespace)
}

/** Why a valid release name has no history in this namespace, as one clear error. */
export async function noHistoryError(core: CoreV1Api, kc: KubeConfig, release: string, namespace: string): Promise<CliError> {
  const owners = await findOwners(kc, namespace).catch(() => undefined)
  const owner = owners?.owners.get(ownerKey(namespace, release))
  if (owner) {
    return new CliError(
      'not-found',
      `release "${release}" in ${namespace} has no history: HelmRelease ${owner.namespace}/${owner.name} (${owner.apiVersion}) manages it, but helm has recorded no revision of it`,
      {
        hint: `it was never installed or was uninstalled; check the ${owner.controller === 'helm-operator' ? 'helm-operator' : 'helm-controller'} logs for why`,
      },
    )
  }
  const elsewhere = await namespacesWithRelease(core, release, namespace)
  if (elsewhere.length > 0) {
    return new CliError('not-found', `release "${release}" not found in namespace "${namespace}"; it exists in ${elsewhere.join(', ')}`, {
      hint: `rerun with -n ${elsewhere[0]}`,
    })
  }
  return new CliError('not-found', `release "${release}" not found in namespace "${namespace}"`, {
    hint: 'see `elife-k8s helm list -A` for the releases that exist',
  })
}

export function historyRows(history: ReleaseHistory): RevisionRow[] {
  return history.revisions.map(({record}) => revisionRow(record))
}
