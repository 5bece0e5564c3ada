import {NodeHttpHandler} from '@smithy/node-http-handler'
import type {RetryErrorInfo, RetryStrategyV2, RetryToken} from '@smithy/types'

import {type Timeouts, transportTimeouts} from '../kube/timeouts.js'

type HttpRequest = Parameters<NodeHttpHandler['handle']>[0]
type HandlerOptions = Parameters<NodeHttpHandler['handle']>[1]

/** The header the SDK's retry middleware sets once per call (the same on every attempt of it). */
const invocationIdHeader = 'amz-sdk-invocation-id'

/** The SDK's own shape for a request that ran out of time (name TimeoutError, code ETIMEDOUT). */
function budgetSpent(ms: number): Error {
  return Object.assign(new Error(`the call used its whole ${ms} ms requestTimeout (retries included)`), {
    name: 'TimeoutError',
    code: 'ETIMEDOUT',
    budgetSpent: true,
  })
}

/**
 * The SDK's HTTP handler with our limits (--request-timeout; src/lib/kube/timeouts.ts): connect
 * (and, on https, the TLS handshake the SDK counts with it) within `connectMs`, and the whole call
 * within `requestMs`: each attempt of a call gets what is left of the call's `requestMs` (by the
 * call's invocation id), so the SDK's retries of a timed-out call do not multiply the wait. An AWS
 * endpoint that accepts and never answers ends in exit 5 after --request-timeout. Failures carry
 * the endpoint they were sent to (`endpoint`), for the one-line error.
 */
class BoundedHandler extends NodeHttpHandler {
  private readonly deadlines = new Map<string, number>()

  constructor(
    private readonly budgetMs: number | undefined,
    options: ConstructorParameters<typeof NodeHttpHandler>[0],
  ) {
    super(options)
  }

  override async handle(request: HttpRequest, options?: HandlerOptions): ReturnType<NodeHttpHandler['handle']> {
    const endpoint = `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}`
    let perAttempt = options
    const id = request.headers[invocationIdHeader]
    if (this.budgetMs !== undefined && id) {
      const now = Date.now()
      for (const [key, deadline] of this.deadlines) if (deadline < now - 60_000) this.deadlines.delete(key)
      const deadline = this.deadlines.get(id) ?? now + this.budgetMs
      this.deadlines.set(id, deadline)
      const left = deadline - now
      if (left <= 0) throw Object.assign(budgetSpent(this.budgetMs), {endpoint})
      perAttempt = {...options, requestTimeout: Math.min(options?.requestTimeout ?? left, left)}
    }
    try {
      const answer = await super.handle(request, perAttempt)
      if (id) this.deadlines.delete(id)
      return answer
    } catch (error) {
      if (error && typeof error === 'object' && !('endpoint' in error)) Object.assign(error, {endpoint})
      throw error
    }
  }
}

/** Client options for every AWS SDK client we make (EKS, STS; src/lib/eks/clients.ts). */
export function awsClientOptions(timeouts: Timeouts = transportTimeouts()): {requestHandler: NodeHttpHandler} {
  const requestMs = timeouts.requestMs > 0 ? timeouts.requestMs : undefined
  return {
    requestHandler: new BoundedHandler(requestMs, {
      connectionTimeout: timeouts.connectMs,
      requestTimeout: requestMs,
      throwOnRequestTimeout: requestMs !== undefined,
      socketTimeout: requestMs,
    }),
  }
}

interface BoundedToken extends RetryToken {
  inner: RetryToken
  deadline: number
}

/**
 * The SDK's own retry strategy (AWS_MAX_ATTEMPTS, retry_mode), except that a call is not retried
 * once its --request-timeout is spent, or when the wait before the next attempt would spend it.
 */
export function boundedRetryStrategy(inner: RetryStrategyV2, budgetMs: number): RetryStrategyV2 {
  const wrap = (token: RetryToken, deadline: number): BoundedToken => ({
    inner: token,
    deadline,
    getRetryCount: () => token.getRetryCount(),
    getRetryDelay: () => token.getRetryDelay(),
  })
  return {
    async acquireInitialRetryToken(scope: string) {
      return wrap(await inner.acquireInitialRetryToken(scope), Date.now() + budgetMs)
    },
    async refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo) {
      const bounded = token as BoundedToken
      if ((errorInfo.error as {budgetSpent?: boolean} | undefined)?.budgetSpent || Date.now() >= bounded.deadline)
        throw errorInfo.error ?? new Error('request timeout spent')
      const next = await inner.refreshRetryTokenForRetry(bounded.inner, errorInfo)
      if (Date.now() + next.getRetryDelay() >= bounded.deadline) throw errorInfo.error ?? new Error('request timeout spent')
      return wrap(next, bounded.deadline)
    },
    recordSuccess(token: RetryToken) {
      inner.recordSuccess((token as BoundedToken).inner)
    },
  }
}

interface RetryingClient {
  config: {retryStrategy: () => Promise<unknown>}
}

/**
 * Bounds every call of an SDK client by --request-timeout, retries included: the client keeps the
 * retry strategy the SDK chose (AWS_MAX_ATTEMPTS, the profile's max_attempts and retry_mode), wrapped
 * by boundedRetryStrategy. --request-timeout 0: the SDK's own behaviour.
 */
export function boundRetries<C>(client: C, timeouts: Timeouts = transportTimeouts()): C {
  if (timeouts.requestMs <= 0) return client
  const config = (client as unknown as RetryingClient).config
  const chosen = config.retryStrategy
  let bounded: Promise<unknown> | undefined
  config.retryStrategy = () =>
    (bounded ??= chosen().then((strategy) => {
      const v2 = strategy as Partial<RetryStrategyV2>
      // A legacy (v1) strategy is left as it is: each attempt is still bounded by the handler.
      return typeof v2.acquireInitialRetryToken === 'function' ? boundedRetryStrategy(strategy as RetryStrategyV2, timeouts.requestMs) : strategy
    }))
  return client
}
