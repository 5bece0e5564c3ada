import {
  type ApiextensionsV1Api,
  type CoreV1Api,
  type CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node'

import {CliError} from '../errors.js'
import {isNotFound} from '../kube/errors.js'

/** The Flux v2 objects we reconcile, in the order `flux reconcile --with-source` goes: source first. */
export const toolkitKinds = [
  {kind: 'GitRepository', crd: 'gitrepositories.source.toolkit.fluxcd.io', group: 'source.toolkit.fluxcd.io', plural: 'gitrepositories'},
  {kind: 'Kustomization', crd: 'kustomizations.kustomize.toolkit.fluxcd.io', group: 'kustomize.toolkit.fluxcd.io', plural: 'kustomizations'},
  {kind: 'HelmRelease', crd: 'helmreleases.helm.toolkit.fluxcd.io', group: 'helm.toolkit.fluxcd.io', plural: 'helmreleases'},
] as const

/** The annotation flux2's controllers watch (fluxcd/pkg/apis/meta ReconcileRequestAnnotation). */
export const requestedAtAnnotation = 'reconcile.fluxcd.io/requestedAt'

export type ToolkitKind = (typeof toolkitKinds)[number]['kind']

export interface ToolkitObject {
  kind: ToolkitKind
  namespace: string
  name: string
  ready: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
  revision?: string
  suspended: boolean
}

interface KubeObject {
  metadata?: {name?: string; namespace?: string; annotations?: Record<string, string>; generation?: number}
  spec?: {suspend?: boolean; secretRef?: {name?: string}}
  status?: {
    conditions?: Array<{type: string; status: 'True' | 'False' | 'Unknown'; reason?: string; message?: string}>
    lastHandledReconcileAt?: string
    lastAppliedRevision?: string
    lastAttemptedRevision?: string
    artifact?: {revision?: string}
  }
}

export interface ServedKind {
  kind: ToolkitKind
  group: string
  plural: string
  version: string
}

function storageVersion(crd: V1CustomResourceDefinition): string | undefined {
  return crd.spec.versions.find((v) => v.storage && v.served)?.name ?? crd.spec.versions.find((v) => v.served)?.name
}

/** Which toolkit kinds this cluster serves, and at which version. */
export async function servedToolkitKinds(extensions: ApiextensionsV1Api): Promise<ServedKind[]> {
  const served: ServedKind[] = []
  for (const entry of toolkitKinds) {
    try {
      const crd = await extensions.readCustomResourceDefinition({name: entry.crd})
      const version = storageVersion(crd)
      if (version) served.push({kind: entry.kind, group: entry.group, plural: entry.plural, version})
    } catch (error) {
      if (!isNotFound(error)) throw error
    }
  }
  return served
}

/** Flux v2 is there when its GitRepository and Kustomization kinds are. */
export function isFluxV2(served: ServedKind[]): boolean {
  return served.some((s) => s.kind === 'GitRepository') && served.some((s) => s.kind === 'Kustomization')
}

/** One toolkit object as `flux get` shows it: Ready, reason, revision, suspended. */
export function summarizeToolkitObject(kind: ToolkitKind, object: KubeObject): ToolkitObject {
  const ready = object.status?.conditions?.find((c) => c.type === 'Ready')
  return {
    kind,
    namespace: object.metadata?.namespace ?? '',
    name: object.metadata?.name ?? '',
    ready: ready?.status ?? 'Unknown',
    reason: ready?.reason,
    message: ready?.message,
    revision: object.status?.lastAppliedRevision ?? object.status?.artifact?.revision ?? object.status?.lastAttemptedRevision,
    suspended: Boolean(object.spec?.suspend),
  }
}

async function listKind(custom: CustomObjectsApi, served: ServedKind, namespace: string | undefined): Promise<KubeObject[]> {
  const list = (
    namespace
      ? await custom.listNamespacedCustomObject({group: served.group, version: served.version, namespace, plural: served.plural})
      : await custom.listClusterCustomObject({group: served.group, version: served.version, plural: served.plural})
  ) as {items?: KubeObject[]}
  return list.items ?? []
}

/** `flux get sources git / kustomizations / helmreleases`: every toolkit object with its Ready condition. */
export async function listToolkitObjects(custom: CustomObjectsApi, served: ServedKind[], namespace: string | undefined): Promise<ToolkitObject[]> {
  const rows: ToolkitObject[] = []
  for (const kind of served) for (const object of await listKind(custom, kind, namespace)) rows.push(summarizeToolkitObject(kind.kind, object))
  return rows
}

export interface ReconcileResult extends ToolkitObject {
  requestedAt: string
  handled: boolean
}

/**
 * `flux reconcile`: set reconcile.fluxcd.io/requestedAt on every GitRepository, then
 * Kustomization, then HelmRelease (suspended ones are skipped: their controller ignores them), and
 * wait until each reports status.lastHandledReconcileAt equal to it; then read its Ready condition.
 */
export async function reconcileToolkit(
  custom: CustomObjectsApi,
  served: ServedKind[],
  namespace: string | undefined,
  options: {timeoutMs: number; pollMs?: number; now?: () => Date; onProgress?: (message: string) => void; onHandled?: (result: ReconcileResult) => void},
): Promise<ReconcileResult[]> {
  const requestedAt = (options.now ?? (() => new Date()))().toISOString()
  const pending: Array<{kind: ServedKind; namespace: string; name: string}> = []
  const results: ReconcileResult[] = []
  for (const kind of served) {
    for (const object of await listKind(custom, kind, namespace)) {
      const ref = {kind, namespace: object.metadata!.namespace!, name: object.metadata!.name!}
      if (object.spec?.suspend) {
        results.push({...summarizeToolkitObject(kind.kind, object), requestedAt, handled: false})
        continue
      }
      await custom.patchNamespacedCustomObject(
        {
          group: kind.group,
          version: kind.version,
          namespace: ref.namespace,
          plural: kind.plural,
          name: ref.name,
          body: {metadata: {annotations: {[requestedAtAnnotation]: requestedAt}}},
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )
      pending.push(ref)
    }
  }
  if (pending.length === 0 && results.length === 0) {
    throw new CliError('not-found', `no GitRepository, Kustomization or HelmRelease ${namespace ? `in namespace ${namespace}` : 'in any namespace'}`, {
      hint: 'Flux v2 objects usually live in flux-system: pass -n flux-system, or -A',
    })
  }
  const deadline = Date.now() + options.timeoutMs
  while (pending.length > 0) {
    for (let i = pending.length - 1; i >= 0; i--) {
      const ref = pending[i]
      let object: KubeObject
      try {
        object = (await custom.getNamespacedCustomObject({
          group: ref.kind.group,
          version: ref.kind.version,
          namespace: ref.namespace,
          plural: ref.kind.plural,
          name: ref.name,
        })) as KubeObject
      } catch (error) {
        if (!isNotFound(error)) throw error
        pending.splice(i, 1)
        continue
      }
      if (object.status?.lastHandledReconcileAt === requestedAt) {
        const result = {...summarizeToolkitObject(ref.kind.kind, object), requestedAt, handled: true}
        results.push(result)
        options.onHandled?.(result)
        pending.splice(i, 1)
      }
    }
    if (pending.length === 0) break
    if (Date.now() > deadline) {
      const names = pending.map((p) => `${p.kind.kind} ${p.namespace}/${p.name}`).join(', ')
      throw new CliError('check-failed', `Flux v2 did not handle the reconcile request within ${Math.round(options.timeoutMs / 1000)}s: ${names}`, {
        hint: 'check the controllers run (`kubectl -n flux-system get pods`); the request stays set, so they pick it up when they do',
      })
    }
    options.onProgress?.(`waiting for ${pending.length} object${pending.length === 1 ? '' : 's'} to reconcile…`)
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500))
  }
  return results
}

/** flux2's deploy key: `identity.pub` of the GitRepository's secretRef (what `flux create secret git` writes). */
export async function toolkitIdentity(
  custom: CustomObjectsApi,
  core: CoreV1Api,
  served: ServedKind[],
  namespace: string,
): Promise<Array<{gitRepository: string; secret: string; key: string}>> {
  const git = served.find((s) => s.kind === 'GitRepository')
  if (!git) return []
  const identities: Array<{gitRepository: string; secret: string; key: string}> = []
  for (const repo of await listKind(custom, git, namespace)) {
    const secretName = repo.spec?.secretRef?.name
    if (!secretName) continue
    try {
      const secret = await core.readNamespacedSecret({name: secretName, namespace: repo.metadata!.namespace!})
      const pub = secret.data?.['identity.pub']
      if (pub)
        identities.push({
          gitRepository: `${repo.metadata!.namespace}/${repo.metadata!.name}`,
          secret: secretName,
          key: Buffer.from(pub, 'base64').toString('utf8').trim(),
        })
    } catch (error) {
      if (!isNotFound(error)) throw error
    }
  }
  return identities
}
