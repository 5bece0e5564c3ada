import {type KubeConfig, KubernetesObjectApi, type KubernetesObject, PatchStrategy} from '@kubernetes/client-node'
import {parseAllDocuments} from 'yaml'

import {isCliError} from '../errors.js'
import {httpStatus, toCliError} from '../kube/errors.js'
import {looksSecretValue} from './values.js'

/** One rendered object the API server would refuse, and its words for why. */
export interface Refused {
  kind: string
  name: string
  namespace?: string
  /** The API server's message (quoted values that look secret redacted). */
  message: string
}

export interface Validation {
  ran: boolean
  /** Why it did not run (no cluster, unreachable, --no-validate). */
  skipped?: string
  /** What stopped it, when the API server was asked: RBAC said no (401/403), or it could not be reached. */
  stoppedBy?: 'forbidden' | 'unreachable'
  /** Objects the API server accepted in a dry run. */
  accepted: number
  refused: Refused[]
}

/** KubernetesObjectApi with its discovery (which kinds are namespaced) open to us. */
/** The actions KubernetesObjectApi builds paths for (its own type is not exported). */
type KubernetesApiAction = 'create' | 'delete' | 'patch' | 'read' | 'list' | 'replace'

class ObjectApi extends KubernetesObjectApi {
  async namespaced(apiVersion: string, kind: string): Promise<boolean | undefined> {
    return (await this.resource(apiVersion, kind))?.namespaced
  }

  /**
   * client-node lower-cases the whole path, the object's name included: "x_Bad" would reach the
   * server as "x_bad" and be refused for not matching the body instead of for what helm would
   * meet. The name goes on the path as it is.
   */
  protected override async specUriPath(spec: KubernetesObject, action: KubernetesApiAction): Promise<string> {
    const path = await super.specUriPath(spec, action)
    const name = spec.metadata?.name
    if (action === 'create' || action === 'list' || !name) return path
    return `${path.slice(0, path.lastIndexOf('/') + 1)}${encodeURIComponent(name)}`
  }
}

/** The objects of a rendered manifest (`helm template` output), in order. */
export function manifestObjects(manifest: string): KubernetesObject[] {
  const objects: KubernetesObject[] = []
  for (const doc of parseAllDocuments(manifest)) {
    const object = doc.toJS() as KubernetesObject | null
    if (object && typeof object === 'object' && object.kind && object.apiVersion) objects.push(object)
  }
  return objects
}

function statusMessage(error: unknown): string | undefined {
  const body = (error as {body?: unknown}).body
  let parsed: {message?: string} | undefined
  if (body && typeof body === 'object') parsed = body as {message?: string}
  else if (typeof body === 'string' && body.trim().startsWith('{')) {
    try {
      parsed = JSON.parse(body) as {message?: string}
    } catch {
      parsed = undefined
    }
  }
  return parsed?.message
}

/** The API server quotes the value it refused; one that looks secret is not repeated. */
export function redactApiMessage(message: string): string {
  return message.replace(/Invalid value: "((?:[^"\\]|\\.)*)"/g, (whole, value: string) =>
    looksSecretValue(value) ? `Invalid value: <redacted: ${value.length} chars>` : whole,
  )
}

/**
 * Sends every rendered object to the API server as a server-side apply with dryRun=All (what
 * `kubectl apply --server-side --dry-run=server` does): admission, schema and name validation run,
 * nothing is stored. An object the server refuses (4xx other than 401/403) is reported with the
 * server's message; an unreachable server or missing permission ends validation with a note.
 */
export async function validateObjects(kc: KubeConfig, objects: readonly KubernetesObject[], namespace: string): Promise<Validation> {
  const api = kc.makeApiClient(ObjectApi)
  const result: Validation = {ran: true, accepted: 0, refused: []}
  for (const original of objects) {
    const object: KubernetesObject = {...original, metadata: {...original.metadata}}
    const kind = object.kind ?? ''
    const name = object.metadata?.name ?? ''
    try {
      // helm puts namespaced objects without a namespace into the release's namespace.
      if (!object.metadata?.namespace && (await api.namespaced(object.apiVersion ?? '', kind)) !== false) object.metadata = {...object.metadata, namespace}
      await api.patch(object, undefined, 'All', 'elife-k8s-debug', true, PatchStrategy.ServerSideApply)
      result.accepted++
    } catch (error) {
      const status = httpStatus(error)
      if (status === 401 || status === 403) {
        return {
          ...result,
          ran: false,
          stoppedBy: 'forbidden',
          skipped: `not allowed to dry-run ${kind} objects in ${namespace} (${status}): the API server was not asked`,
        }
      }
      if (status !== undefined && status >= 400 && status < 500) {
        result.refused.push({kind, name, namespace: object.metadata?.namespace, message: redactApiMessage(statusMessage(error) ?? `HTTP ${status}`)})
        continue
      }
      // discovery found no such kind: the server does not serve it (a CRD not installed)
      if (status === undefined && error instanceof Error && /Unrecognized API version and kind/i.test(error.message)) {
        result.refused.push({
          kind,
          name,
          namespace: object.metadata?.namespace,
          message: `the API server does not serve ${object.apiVersion} ${kind} (is its CRD installed?)`,
        })
        continue
      }
      const cli = toCliError(error, {verb: 'dry-run', target: `${kind} ${name}`})
      if (isCliError(cli) && cli.kind === 'unreachable')
        return {ran: false, stoppedBy: 'unreachable', skipped: `${cli.message}: not validated against the API server`, accepted: 0, refused: []}
      throw cli
    }
  }
  return result
}
