import {NodeHttpHandler} from '@smithy/node-http-handler'

import {type Timeouts, transportTimeouts} from '../kube/timeouts.js'

type HttpRequest = Parameters<NodeHttpHandler['handle']>[0]

/**
 * The SDK's HTTP handler with our limits (--request-timeout; src/lib/kube/timeouts.ts): connect
 * (and, on https, the TLS handshake the SDK counts with it) within `connectMs`, the answer within
 * `requestMs`, so that an AWS endpoint that accepts and never answers ends in exit 5 instead of a
 * hang. Failures carry the endpoint they were sent to (`endpoint`), for the one-line error.
 */
class BoundedHandler extends NodeHttpHandler {
  override async handle(request: HttpRequest, options?: Parameters<NodeHttpHandler['handle']>[1]): ReturnType<NodeHttpHandler['handle']> {
    try {
      return await super.handle(request, options)
    } catch (error) {
      if (error && typeof error === 'object' && !('endpoint' in error)) {
        Object.assign(error, {endpoint: `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}`})
      }
      throw error
    }
  }
}

/** Client options for every AWS SDK client we make (EKS, STS): `new EKSClient({...awsClientOptions(t), ...})`. */
export function awsClientOptions(timeouts: Timeouts = transportTimeouts()): {requestHandler: NodeHttpHandler} {
  const requestMs = timeouts.requestMs > 0 ? timeouts.requestMs : undefined
  return {
    requestHandler: new BoundedHandler({
      connectionTimeout: timeouts.connectMs,
      requestTimeout: requestMs,
      throwOnRequestTimeout: requestMs !== undefined,
      socketTimeout: requestMs,
    }),
  }
}
