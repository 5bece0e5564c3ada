import {
  createConfiguration,
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  type RequestContext,
  type ResponseContext,
  ServerConfiguration,
  wrapHttpLibrary,
} from '@kubernetes/client-node'

import type {LoadedKubeConfig} from './config.js'
import {retryDelayMs, readRetry} from './retry.js'
import {timeoutError, transportTimeouts} from './timeouts.js'

/**
 * A loaded kubeconfig with its API clients, each made on first use and then reused. The API
 * classes are passed in by the commands that use them (`api(CoreV1Api)`): nothing here imports
 * one, so a command that reads plain JSON only (images, helm list) does not load client-node's
 * generated API classes and models at all.
 */
export interface KubeAccess extends LoadedKubeConfig {
  api<T>(apiClass: new (...args: never[]) => T): T
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * client-node's fetch transport with our limits: each request must be answered within the
 * request timeout (after its connect and handshake, which the kubeconfig's agents bound), and a
 * GET is tried again under the one read retry policy (src/lib/kube/retry.ts).
 */
function boundedHttpLibrary(loaded: LoadedKubeConfig) {
  const inner = new IsomorphicFetchHttpLibrary()
  const host = loaded.server
  const sendOnce = async (request: RequestContext): Promise<ResponseContext> => {
    const {requestMs, connectMs} = transportTimeouts(loaded.kc)
    if (requestMs <= 0) return inner.send(request).toPromise()
    const controller = new AbortController()
    request.setSignal(controller.signal)
    // Connect and handshake have their own limit (connectMs); the answer then has requestMs.
    const limit = requestMs + connectMs
    const timer = setTimeout(() => controller.abort(), limit)
    try {
      const response = await inner.send(request).toPromise()
      // The body is read later, by the generated code: keep the limit until it has been.
      const {body} = response
      const bounded =
        <R>(read: () => Promise<R>) =>
        () =>
          read().then(
            (value) => {
              clearTimeout(timer)
              return value
            },
            (error: unknown) => {
              clearTimeout(timer)
              throw controller.signal.aborted ? timeoutError('response', host, requestMs) : error
            },
          )
      response.body = {
        text: bounded(() => body.text()),
        binary: bounded(() => body.binary()),
        // A stream (client-node 2) runs as long as it needs; only its connect was bounded.
        stream: () => {
          clearTimeout(timer)
          return body.stream()
        },
      }
      return response
    } catch (error) {
      clearTimeout(timer)
      throw controller.signal.aborted ? timeoutError('response', host, requestMs) : error
    }
  }
  return wrapHttpLibrary({
    async send(request: RequestContext): Promise<ResponseContext> {
      if (request.getHttpMethod() !== HttpMethod.GET) return sendOnce(request)
      let waited = 0
      for (let attempt = 1; ; attempt++) {
        let outcome: {response: ResponseContext} | {error: unknown}
        try {
          outcome = {response: await sendOnce(request)}
        } catch (error) {
          outcome = {error}
        }
        const failure =
          'error' in outcome ? outcome.error : outcome.response.httpStatusCode === 429 ? {code: 429, headers: outcome.response.headers} : undefined
        const delay = failure !== undefined && attempt < readRetry.attempts ? retryDelayMs(failure, attempt) : undefined
        if (delay === undefined || waited + delay > readRetry.maxWaitMs) {
          if ('error' in outcome) throw outcome.error
          return outcome.response
        }
        waited += delay
        // Read the refused answer's body: an unread body would hold its connection (and the process) open.
        if ('response' in outcome) await outcome.response.body.text().catch(() => undefined)
        await sleep(delay)
      }
    },
  })
}

export function kubeAccess(loaded: LoadedKubeConfig): KubeAccess {
  const clients = new Map<unknown, unknown>()
  let configuration: ReturnType<typeof createConfiguration> | undefined
  const api = <A>(apiClass: new (...args: never[]) => A): A => {
    if (!clients.has(apiClass)) {
      // As KubeConfig.makeApiClient makes it, with our transport.
      configuration ??= createConfiguration({
        baseServer: new ServerConfiguration(loaded.server, {}),
        authMethods: {default: loaded.kc},
        httpApi: boundedHttpLibrary(loaded),
      })
      clients.set(apiClass, new (apiClass as unknown as new (config: unknown) => A)(configuration))
    }
    return clients.get(apiClass) as A
  }
  return {...loaded, api}
}
