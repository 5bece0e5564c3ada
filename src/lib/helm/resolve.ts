import {CoreV1Api, CustomObjectsApi} from '@kubernetes/client-node'

import type {CommandIO} from '../cli/io.js'
import {CliError} from '../errors.js'
import {httpStatus, isNotFound} from '../kube/errors.js'
import {noHistoryError} from './history.js'
import {type Controller, findOwners, helmReleaseApis, type HelmReleaseObject, managedRelease, ownerKey} from './owners.js'
import {checkReleaseName, isReleaseName, readHistory, type ReleaseHistory} from './store.js'

/**
 * `helm history`, `unstick` and `debug` take either name an admin has at hand: the helm release's
 * (`helm list`) or the HelmRelease's (the GitOps repo, `kubectl get hr`). eLife's differ
 * (HelmRelease prod/libero-reviewer manages helm release libero-reviewer--prod). Each command
 * resolves the kind it needs and says on stderr when the name was the other kind.
 */

/** A HelmRelease as read from the cluster or a file. */
export interface LoadedHelmRelease {
  object: HelmReleaseObject
  apiVersion: string
  /** Where it came from: the cluster, or a file from the GitOps repo. */
  from: {kind: 'cluster'} | {kind: 'file'; path: string}
}

/** The HelmRelease's name, as `HelmRelease ns/name` (never its spec). */
export interface HelmReleaseName {
  apiVersion: string
  namespace: string
  name: string
}

function groupOf(apiVersion: string | undefined): string {
  return (apiVersion ?? '').split('/')[0] ?? ''
}

/** Which controller reads this HelmRelease: helm-operator (helm.fluxcd.io) or Flux v2. */
export function controllerOf(loaded: Pick<LoadedHelmRelease, 'apiVersion'>): Controller {
  return groupOf(loaded.apiVersion) === 'helm.fluxcd.io' ? 'helm-operator' : 'flux-v2'
}

/** What a Kubernetes object's name may be (DNS subdomain): others are not looked up. */
function isObjectName(name: string): boolean {
  return name.length <= 253 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)
}

/**
 * The HelmRelease `name` in `namespace` of either generation (helm-operator's first, then Flux
 * v2's newest version), or undefined. All versions are asked at once (404 is both "no such
 * object" and "no such CRD/version"). `forbiddenIsNone`: a 403 counts as not found.
 */
export async function findHelmRelease(
  custom: CustomObjectsApi,
  name: string,
  namespace: string,
  options: {forbiddenIsNone?: boolean} = {},
): Promise<LoadedHelmRelease | undefined> {
  if (!isObjectName(name)) return undefined
  const versions = helmReleaseApis.flatMap((api) => api.versions.map((version) => ({group: api.group, version})))
  const answers = await Promise.all(
    versions.map(async ({group, version}) => {
      try {
        return (await custom.getNamespacedCustomObject({group, version, namespace, plural: 'helmreleases', name})) as HelmReleaseObject
      } catch (error) {
        if (isNotFound(error) || (options.forbiddenIsNone && httpStatus(error) === 403)) return undefined
        throw error
      }
    }),
  )
  const i = answers.findIndex((a) => a !== undefined)
  const found = answers[i]
  const at = versions[i]
  return found && at ? {object: found, apiVersion: `${at.group}/${at.version}`, from: {kind: 'cluster'}} : undefined
}

export function helmReleaseName(loaded: LoadedHelmRelease, fallbackNamespace = ''): HelmReleaseName {
  return {apiVersion: loaded.apiVersion, namespace: loaded.object.metadata?.namespace ?? fallbackNamespace, name: loaded.object.metadata?.name ?? ''}
}

export interface ResolvedRelease {
  release: string
  namespace: string
  history: ReleaseHistory
  /** The HelmRelease whose name was given, when the name was a HelmRelease's. */
  helmRelease?: HelmReleaseName
}

/**
 * The helm release a name means, with its history: the helm release of that name in the
 * namespace, else the one the HelmRelease of that name manages (said on stderr: "HelmRelease
 * prod/foo → helm release foo--prod in prod"). When both exist and differ, the helm release wins
 * (the name's meaning before HelmRelease names were taken) and the other is named. One clear
 * error otherwise: an invalid name, a HelmRelease whose release helm never recorded, a release
 * that is in another namespace, none at all.
 */
export async function resolveRelease(io: CommandIO, name: string, namespace: string): Promise<ResolvedRelease> {
  const core = io.kube.api(CoreV1Api)
  const history = isReleaseName(name)
    ? await io.callApi({verb: 'read helm release', target: `"${name}" in ${namespace}`}, () => readHistory(core, name, namespace))
    : undefined
  // Reading HelmReleases may be forbidden where reading helm's records is not: then only the release name counts.
  const hr = await io.callApi({verb: 'get HelmRelease', target: `"${name}" in ${namespace}`}, () =>
    findHelmRelease(io.kube.api(CustomObjectsApi), name, namespace, {forbiddenIsNone: true}),
  )
  const managed = hr ? managedRelease(controllerOf(hr), hr.object) : undefined
  if (history) {
    if (managed && (managed.release !== name || managed.namespace !== namespace)) {
      io.say(
        `"${name}" is a helm release in ${namespace} and the name of HelmRelease ${namespace}/${name}, which manages helm release ${managed.release} in ${managed.namespace}: using the helm release ${name} (for the other, give ${managed.release} -n ${managed.namespace})`,
      )
    }
    return {release: name, namespace, history}
  }
  if (hr && managed) {
    const helmRelease = helmReleaseName(hr, namespace)
    const what = `HelmRelease ${namespace}/${name} (${hr.apiVersion}) manages helm release ${managed.release} in ${managed.namespace}`
    const theirs = await io.callApi({verb: 'read helm release', target: `"${managed.release}" in ${managed.namespace}`}, () =>
      readHistory(core, managed.release, managed.namespace),
    )
    if (!theirs) {
      throw new CliError('not-found', `${what}, but helm has recorded no revision of it`, {
        hint: `it was never installed or was uninstalled; check the ${controllerOf(hr) === 'helm-operator' ? 'helm-operator' : 'helm-controller'} logs for why`,
      })
    }
    io.say(`HelmRelease ${namespace}/${name} → helm release ${managed.release} in ${managed.namespace}`)
    return {release: managed.release, namespace: managed.namespace, history: theirs, helmRelease}
  }
  checkReleaseName(name)
  throw await io.callApi({verb: 'look for helm release', target: `"${name}"`}, () => noHistoryError(core, io.kube.kc, name, namespace))
}

/**
 * The HelmRelease a name means, from the cluster: the HelmRelease of that name, else the one that
 * manages the helm release of that name (said on stderr: "helm release foo--prod in prod →
 * HelmRelease prod/foo"). A name that is only a helm release nobody manages says so.
 */
export async function resolveHelmRelease(io: CommandIO, name: string, namespace: string): Promise<LoadedHelmRelease> {
  const custom = io.kube.api(CustomObjectsApi)
  const found = await io.callApi({verb: 'get HelmRelease', target: `"${name}" in ${namespace}`}, () => findHelmRelease(custom, name, namespace))
  if (found) return found
  if (isReleaseName(name)) {
    const owners = await io.callApi({verb: 'list HelmReleases', target: `managing "${name}" in ${namespace}`}, () => findOwners(io.kube.kc, namespace))
    const owner = owners.owners.get(ownerKey(namespace, name))
    if (owner) {
      const theirs = await io.callApi({verb: 'get HelmRelease', target: `"${owner.name}" in ${owner.namespace}`}, () =>
        findHelmRelease(custom, owner.name, owner.namespace),
      )
      if (theirs) {
        io.say(`helm release ${name} in ${namespace} → HelmRelease ${owner.namespace}/${owner.name}`)
        return theirs
      }
    }
    const history = await readHistory(io.kube.api(CoreV1Api), name, namespace).catch(() => undefined)
    if (history) {
      throw new CliError('not-found', `"${name}" is a helm release in ${namespace}, but no HelmRelease manages it (and there is no HelmRelease of that name)`, {
        hint: "debug renders a HelmRelease's chart with its values: pass --file with the HelmRelease YAML from the GitOps repo",
      })
    }
  }
  throw new CliError('not-found', `HelmRelease "${name}" not found in namespace "${namespace}" (looked for helm.fluxcd.io/v1 and helm.toolkit.fluxcd.io)`, {
    hint: 'check the name and -n, or pass --file with the HelmRelease YAML from the GitOps repo',
  })
}
