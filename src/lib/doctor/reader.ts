import type {KubeConfig} from '@kubernetes/client-node'

import {httpStatus} from '../kube/errors.js'
import {pagedList} from '../kube/list.js'
import {getJson} from '../kube/raw.js'

/** A resource the doctor reads: core (`group` empty) or a group, one version, its plural. */
export interface Resource {
  group: string
  version: string
  plural: string
}

export interface KubeObject {
  apiVersion?: string
  kind?: string
  metadata?: {
    name?: string
    namespace?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    creationTimestamp?: string
    deletionTimestamp?: string
    generation?: number
  }
  spec?: Record<string, unknown> & object
  status?: Record<string, unknown> & object
  data?: Record<string, string>
  [key: string]: unknown
}

/** The permission a check lacked, in RBAC's words, e.g. `list secrets in namespace "adm"`. */
export class ForbiddenError extends Error {
  constructor(readonly permission: string) {
    super(`forbidden: ${permission}`)
  }
}

export function isForbiddenError(error: unknown): error is ForbiddenError {
  return error instanceof ForbiddenError
}

export const core = (plural: string): Resource => ({group: '', version: 'v1', plural})

function basePath(resource: Resource, namespace?: string): string {
  const root = resource.group ? `/apis/${resource.group}/${resource.version}` : `/api/${resource.version}`
  return namespace ? `${root}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}` : `${root}/${resource.plural}`
}

function describe(resource: Resource): string {
  return resource.group ? `${resource.plural}.${resource.group}` : resource.plural
}

/**
 * What the checks read, each list asked of the API server once however many checks use it (pods,
 * namespaces, HelmReleases...), in pages of 500, over the one connection the command has.
 * A resource the cluster does not serve reads as `undefined`; one RBAC forbids throws
 * ForbiddenError naming the verb and resource, so the check is skipped with that reason.
 */
export class ClusterReader {
  private readonly cache = new Map<string, Promise<unknown>>()
  private readonly disposers: Array<() => void> = []
  private disposed = false

  constructor(readonly kc: KubeConfig) {}

  /** Every object of a resource, in all namespaces or one; undefined when it is not served. */
  list(resource: Resource, options: {namespace?: string; labelSelector?: string} = {}): Promise<KubeObject[] | undefined> {
    const path = basePath(resource, options.namespace)
    const key = `list ${path}?${options.labelSelector ?? ''}`
    return this.memo(key, async () => {
      try {
        return await pagedList<KubeObject, KubeObject[]>({
          fetchPage: (token) => getJson(this.kc, path, {limit: 500, continue: token, labelSelector: options.labelSelector}),
          init: () => [],
          add: (acc, items) => {
            for (const item of items) acc.push(item)
          },
        })
      } catch (error) {
        return this.notServed(error, `list ${describe(resource)}${options.namespace ? ` in namespace "${options.namespace}"` : ' in all namespaces'}`)
      }
    })
  }

  /** One object; undefined when it (or its resource) does not exist. */
  get(resource: Resource, name: string, namespace?: string): Promise<KubeObject | undefined> {
    const path = `${basePath(resource, namespace)}/${encodeURIComponent(name)}`
    return this.memo(`get ${path}`, async () => {
      try {
        return await getJson<KubeObject>(this.kc, path)
      } catch (error) {
        return this.notServed(error, `get ${describe(resource)} "${name}"${namespace ? ` in namespace "${namespace}"` : ''}`)
      }
    })
  }

  /** Any GET path (e.g. /version), forbidden mapped like the lists. */
  raw<T>(path: string, permission: string): Promise<T> {
    return this.memo(`raw ${path}`, async () => {
      try {
        return await getJson<T>(this.kc, path)
      } catch (error) {
        if (httpStatus(error) === 403) throw new ForbiddenError(permission)
        throw error
      }
    })
  }

  private notServed(error: unknown, permission: string): undefined {
    const status = httpStatus(error)
    if (status === 404) return undefined
    if (status === 403) throw new ForbiddenError(permission)
    throw error
  }

  /** A value computed once per doctor run however many checks ask for it (e.g. the HelmRelease index). */
  shared<T>(key: string, load: () => Promise<T>): Promise<T> {
    return this.memo(`shared ${key}`, load)
  }

  /** Something a check opened for the run (an AWS client), closed when the run ends. */
  onDispose(dispose: () => void): void {
    // A check that timed out may open it after the run ended: closed at once then.
    if (this.disposed) dispose()
    else this.disposers.push(dispose)
  }

  dispose(): void {
    this.disposed = true
    for (const dispose of this.disposers.splice(0)) dispose()
  }

  private memo<T>(key: string, load: () => Promise<T>): Promise<T> {
    let value = this.cache.get(key) as Promise<T> | undefined
    if (!value) {
      value = load()
      this.cache.set(key, value)
    }
    return value
  }
}

export function conditionOf(object: KubeObject, type: string): {status?: string; reason?: string; message?: string; lastTransitionTime?: string} | undefined {
  const conditions = (
    object.status as {conditions?: Array<{type?: string; status?: string; reason?: string; message?: string; lastTransitionTime?: string}>} | undefined
  )?.conditions
  return conditions?.find((c) => c.type === type)
}
