/**
 * The one retry policy for reads from the API server (used by src/lib/kube/raw.ts and by
 * client-node's typed calls through src/lib/kube/clients.ts). A read (GET) is sent again when
 * the server did not process it:
 *
 * - the HTTP/2 stream was refused or the connection reset before an answer (NGHTTP2_REFUSED_STREAM,
 *   GOAWAY, ECONNRESET: what an API server does while it sheds load or rejects a token);
 * - 429 Too Many Requests (e.g. "storage is (re)initializing" after CRD changes), after the
 *   Retry-After the server asked for.
 *
 * Bounded: at most `attempts` tries and `maxWaitMs` of waiting in all; what remains is reported
 * with the documented exit codes (src/lib/kube/errors.ts). Timeouts are not retried: they would
 * multiply --request-timeout.
 */
import {errorCode} from './errors.js'
export const readRetry = {attempts: 4, maxWaitMs: 10_000, firstBackoffMs: 200}

/** Transport failures after which nothing was processed (or a GET may safely be sent again). */
export const resetCodes = new Set([
  'ECONNRESET',
  'EPIPE',
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_SESSION_ERROR',
  'ERR_HTTP2_INVALID_SESSION',
  'ERR_HTTP2_STREAM_CANCEL',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
])

function status(err: unknown): number | undefined {
  const code = (err as {code?: unknown})?.code ?? (err as {statusCode?: unknown})?.statusCode
  return typeof code === 'number' ? code : undefined
}

/** Seconds (or an HTTP date) of a Retry-After header, in ms; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

function headerOf(err: unknown, name: string): string | undefined {
  const headers = (err as {headers?: unknown})?.headers
  if (!headers || typeof headers !== 'object') return undefined
  for (const [key, value] of Object.entries(headers as Record<string, unknown>))
    if (key.toLowerCase() === name) return Array.isArray(value) ? String(value[0]) : String(value)
  return undefined
}

/** How long to wait before trying a read again after `err` (attempt counts from 1), or undefined: do not. */
export function retryDelayMs(err: unknown, attempt: number): number | undefined {
  if (status(err) === 429) return retryAfterMs(headerOf(err, 'retry-after')) ?? 1000
  const code = errorCode(err)
  if (code && resetCodes.has(code)) return readRetry.firstBackoffMs * 2 ** (attempt - 1)
  return undefined
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Runs a read, trying again under the policy above. */
export async function withReadRetry<T>(read: () => Promise<T>, policy = readRetry): Promise<T> {
  let waited = 0
  for (let attempt = 1; ; attempt++) {
    try {
      return await read()
    } catch (error) {
      const delay = attempt < policy.attempts ? retryDelayMs(error, attempt) : undefined
      if (delay === undefined || waited + delay > policy.maxWaitMs) throw error
      waited += delay
      await sleep(delay)
    }
  }
}
