import {ApiException} from '@kubernetes/client-node'

import {CliError, isCliError} from '../errors.js'
import {resetCodes} from './retry.js'
import {describeTimeout, timeoutPhase, transportTimeouts} from './timeouts.js'

/** What we were doing when the API failed, so the one-line error can name it. */
export interface ApiAction {
  /** e.g. "list pods", "get secret" */
  verb: string
  /** e.g. `in namespace "adm"`, `"alertmanager-prometheus-operator" in adm`, "in all namespaces" */
  target?: string
  /** The API server URL, for unreachable errors. */
  server?: string
  /** The kubeconfig context, for auth errors. */
  context?: string
}

interface StatusBody {
  kind?: string
  message?: string
  reason?: string
  code?: number
}

function parseStatus(body: unknown): StatusBody | undefined {
  if (body && typeof body === 'object') return body as StatusBody
  if (typeof body === 'string' && body.trim().startsWith('{')) {
    try {
      return JSON.parse(body) as StatusBody
    } catch {
      return undefined
    }
  }
  return undefined
}

/** The API server's Status message of a failed call (`... cannot list resource "pods" ...`), when it sent one. */
export function statusMessage(err: unknown): string | undefined {
  return parseStatus((err as {body?: unknown} | undefined)?.body)?.message || undefined
}

/** Network error codes node reports when a server cannot be reached at all. */
export const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
])

/** TLS errors: the server presented a certificate we cannot verify. */
export const tlsCodes = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
])

/** The first string `code` on an error or its causes (what Node and undici set). */
export function errorCode(err: unknown): string | undefined {
  let e: unknown = err
  // node-fetch wraps the socket error; undici nests it in `cause`.
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as {code?: unknown}).code
    if (typeof code === 'string') return code
    e = (e as {cause?: unknown}).cause
  }
  return undefined
}

export function httpStatus(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code
  const code = (err as {code?: unknown; statusCode?: unknown})?.statusCode ?? (err as {code?: unknown})?.code
  return typeof code === 'number' ? code : undefined
}

export function isNotFound(err: unknown): boolean {
  return httpStatus(err) === 404
}

export function isConflict(err: unknown): boolean {
  return httpStatus(err) === 409
}

export function isGone(err: unknown): boolean {
  return httpStatus(err) === 410
}

/**
 * Turns whatever client-node threw into one CliError line: what failed, on what, what next.
 * Errors that are already CliErrors pass through untouched.
 */
export function toCliError(err: unknown, action: ApiAction): CliError | unknown {
  if (isCliError(err)) return err
  const what = action.target ? `${action.verb} ${action.target}` : action.verb
  const ctx = action.context ? ` (context "${action.context}")` : ''
  const status = httpStatus(err)
  if (status !== undefined && status >= 400) {
    const body = parseStatus((err as ApiException<unknown>).body)
    const apiMessage = body?.message ?? `HTTP ${status}`
    switch (status) {
      case 400:
        // Our request carried something the server cannot read: a label selector, a field, a name.
        return new CliError('usage', `cannot ${what}: the API server refused the request: ${apiMessage}`, {
          hint: 'check the selector, names and flags given',
          cause: err,
        })
      case 429:
      case 502:
      case 503:
      case 504:
        // Still busy after the bounded retries (src/lib/kube/retry.ts).
        return new CliError(
          'unreachable',
          `cannot ${what}: the API server ${action.server ?? ''} is not answering requests now (${status}: ${apiMessage})`.replace('  ', ' '),
          {
            hint: 'it may be starting or overloaded; retry in a minute',
            cause: err,
          },
        )
      case 401:
        return new CliError('forbidden', `cannot ${what}: the API server did not accept our credentials${ctx}`, {
          hint: 'refresh them (for EKS: `elife-k8s kubeconfig --cluster NAME`) or pick another --context',
          cause: err,
        })
      case 403:
        return new CliError('forbidden', `cannot ${what}: ${apiMessage}`, {
          hint: 'ask a cluster admin for that permission, or use a context that has it',
          cause: err,
        })
      case 404:
        return new CliError('not-found', `cannot ${what}: ${apiMessage}`, {cause: err})
      case 409:
        return new CliError('conflict', `cannot ${what}: ${apiMessage}`, {
          hint: 'someone changed it meanwhile; run the command again',
          cause: err,
        })
      default:
        return new CliError('unexpected', `cannot ${what}: the API server answered ${status}: ${apiMessage}`, {cause: err})
    }
  }
  const phase = timeoutPhase(err)
  if (phase) {
    const ms = (err as {timeoutMs?: unknown}).timeoutMs
    const limits = transportTimeouts()
    const limit = typeof ms === 'number' ? ms : phase === 'response' ? limits.requestMs : limits.connectMs
    return new CliError('unreachable', `cannot ${what}: the API server ${action.server ?? ''} ${describeTimeout(phase, limit)}`.replace('  ', ' '), {
      hint: `check the network/VPN and that the cluster is up${ctx ? ', or pick another --context' : ''}; --request-timeout sets how long to wait`,
      cause: err,
    })
  }
  const code = errorCode(err)
  if (code && resetCodes.has(code)) {
    return new CliError(
      'unreachable',
      `cannot ${what}: the API server ${action.server ?? ''} reset the connection (${code}), also when tried again`.replace('  ', ' '),
      {
        hint: `check the network/VPN and the cluster's health${ctx ? ', or pick another --context' : ''}`,
        cause: err,
      },
    )
  }
  if (code && unreachableCodes.has(code)) {
    return new CliError('unreachable', `cannot ${what}: the API server ${action.server ?? ''} is unreachable (${code})`.replace('  ', ' '), {
      hint: `check the network/VPN and that the cluster is up${ctx ? `, or pick another --context` : ''}`,
      cause: err,
    })
  }
  if (code && tlsCodes.has(code)) {
    return new CliError(
      'unreachable',
      `cannot ${what}: the API server ${action.server ?? ''} presented a certificate we cannot verify (${code})`.replace('  ', ' '),
      {
        hint: "the kubeconfig's certificate-authority-data may be stale; regenerate it with `elife-k8s kubeconfig --cluster NAME`",
        cause: err,
      },
    )
  }
  const message = err instanceof Error ? err.message : String(err)
  // Credential plugins (exec) fail before any request is sent.
  if (/exec|credential|token/i.test(message) && /fail|error|exit/i.test(message)) {
    return new CliError('forbidden', `cannot ${what}: getting credentials for the cluster failed: ${message.split('\n')[0]}`, {
      hint: 'run the credential command from the kubeconfig by hand to see why, or refresh it with `elife-k8s kubeconfig`',
      cause: err,
    })
  }
  return err
}
