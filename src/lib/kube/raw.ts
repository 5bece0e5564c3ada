import http from 'node:http'
import http2 from 'node:http2'
import net from 'node:net'
import https from 'node:https'
import tls from 'node:tls'
import {gunzipSync} from 'node:zlib'

import {ApiException, type KubeConfig} from '@kubernetes/client-node'

import {tlsCodes, unreachableCodes} from './errors.js'
import {withReadRetry} from './retry.js'
import {guardSocket, timeoutCodes, timeoutError, transportTimeouts} from './timeouts.js'

/**
 * GETs that return the parsed JSON as the API server sent it, for list commands that read a few
 * fields of thousands of objects (images, helm list): the generated API classes would also run
 * every object through ObjectSerializer, which on a 10,000-pod list costs more time and memory
 * than the request itself.
 *
 * Authentication and TLS are client-node's (KubeConfig.applyToHTTPSOptions: the cluster's CA,
 * client certificates, tokens, exec credential plugins such as `elife-k8s token`), asked for each
 * request. What differs is the transport: like kubectl (client-go), requests to an https server
 * share one HTTP/2 connection, so a command that sends five lists at once pays for one TLS
 * handshake instead of five; and responses are gzip-compressed by the server, as client-go asks.
 * Through a proxy (the cluster's proxy-url), to a plain-http server, or to a server that does not
 * offer HTTP/2, requests go over HTTP/1.1 through client-node's own agent, as before.
 */
export async function getJson<T>(
  kc: KubeConfig,
  apiPath: string,
  query: Record<string, string | number | undefined> = {},
  headers: Record<string, string> = {},
): Promise<T> {
  const cluster = kc.getCurrentCluster()
  if (!cluster) throw new Error('the kubeconfig has no current cluster')
  const url = new URL(cluster.server.replace(/\/+$/, '') + apiPath)
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') url.searchParams.set(key, String(value))
  // A GET is a read: a refused stream, a reset or a 429 is tried again (src/lib/kube/retry.ts).
  return withReadRetry(async () => {
    const options = await httpsOptions(kc)
    options.timeout = transportTimeouts(kc).requestMs
    const requestHeaders: Record<string, string> = {accept: 'application/json', 'accept-encoding': 'gzip'}
    for (const [key, value] of Object.entries({...options.headers, ...headers})) {
      if (value !== undefined) requestHeaders[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
    }
    if (options.auth) requestHeaders.authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`
    const transport = await transportFor(kc, url, options)
    const response = await transport.get(url, requestHeaders, options)
    let body = response.body
    if (response.encoding === 'gzip') body = gunzipSync(body)
    const text = body.toString('utf8')
    if (response.status < 200 || response.status >= 300) {
      throw new ApiException(response.status, `HTTP ${response.status} for GET ${apiPath}`, text, response.headers)
    }
    return JSON.parse(text) as T
  })
}

/** What KubeConfig.applyToHTTPSOptions fills in (https.RequestOptions plus its agent). */
type ClientOptions = https.RequestOptions & {agent?: http.Agent}

const firstCredentials = new WeakMap<KubeConfig, Promise<void>>()

/**
 * client-node's TLS and auth options for one request. The first request of a command goes alone:
 * client-node caches an exec plugin's credential only once the plugin has answered, so requests
 * sent together would each start the plugin (five `aws eks get-token` for one `helm list`).
 */
async function httpsOptions(kc: KubeConfig): Promise<ClientOptions> {
  const first = firstCredentials.get(kc)
  const options: ClientOptions = {}
  if (first) {
    await first.catch(() => undefined)
    await kc.applyToHTTPSOptions(options)
    return options
  }
  const applied = kc.applyToHTTPSOptions(options)
  firstCredentials.set(kc, applied)
  await applied
  return options
}

/**
 * Starts the credentials and the connection to the current cluster while the command is still
 * loading; the first request then finds them ready. Failures are left for that request to report.
 */
export function preconnect(kc: KubeConfig): void {
  const server = kc.getCurrentCluster()?.server
  if (!server) return
  httpsOptions(kc)
    .then((options) => transportFor(kc, new URL(server), options))
    .catch(() => undefined)
}

interface RawResponse {
  status: number
  headers: Record<string, string>
  encoding?: string
  body: Buffer
}

interface Transport {
  get(url: URL, headers: Record<string, string>, options: ClientOptions): Promise<RawResponse>
}

const transports = new WeakMap<KubeConfig, Promise<Transport>>()

/** One transport per loaded kubeconfig (a command has one), chosen on its first request. */
function transportFor(kc: KubeConfig, url: URL, options: ClientOptions): Promise<Transport> {
  let transport = transports.get(kc)
  if (!transport) {
    const cluster = kc.getCurrentCluster()
    const h2 = url.protocol === 'https:' && !cluster?.proxyUrl && process.env.ELIFE_K8S_HTTP1 !== '1'
    const connectMs = transportTimeouts(kc).connectMs
    transport = h2
      ? connectHttp2(url, options, connectMs, () => {
          // Only this session's entry: a newer one may have replaced it.
          if (transports.get(kc) === transport) transports.delete(kc)
        }).catch((error: unknown) => {
          // A server that cannot be reached, trusted or that does not answer would fail alike over HTTP/1.1.
          const code = (error as {code?: unknown})?.code
          if (typeof code === 'string' && (unreachableCodes.has(code) || tlsCodes.has(code) || Object.values<string>(timeoutCodes).includes(code))) throw error
          // The server (or something in front of it) does not speak HTTP/2.
          return http1
        })
      : Promise.resolve(http1)
    transports.set(kc, transport)
    // A failed connection is not kept: the next command (or retry) tries afresh.
    transport.catch(() => transports.delete(kc))
  }
  return transport
}

/**
 * HTTP/1.1 through the agent client-node made for this request (TLS options, proxy; its sockets'
 * connect and TLS handshake are bounded, src/lib/kube/timeouts.ts). The answer must then come
 * within the request timeout.
 */
const http1: Transport = {
  get(url, headers, options) {
    return new Promise((resolve, reject) => {
      const client = url.protocol === 'http:' ? http : https
      let timer: NodeJS.Timeout | undefined
      const request = client.get(url, {agent: options.agent, headers}, (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('error', reject)
        response.on('end', () => {
          clearTimeout(timer)
          const responseHeaders: Record<string, string> = {}
          for (const [key, value] of Object.entries(response.headers)) if (value !== undefined) responseHeaders[key] = String(value)
          resolve({status: response.statusCode ?? 0, headers: responseHeaders, encoding: response.headers['content-encoding'], body: Buffer.concat(chunks)})
        })
      })
      const timeout = options.timeout ?? 0
      if (timeout > 0) {
        const arm = () => {
          timer = setTimeout(() => request.destroy(timeoutError('response', url.origin, timeout)), timeout)
        }
        request.once('socket', (socket) => {
          // The clock starts once connected (connect and handshake have their own limit).
          if (socket.connecting) socket.once(socket instanceof tls.TLSSocket ? 'secureConnect' : 'connect', arm)
          else arm()
        })
      }
      request.on('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
      request.on('close', () => clearTimeout(timer))
    })
  },
}

/** Flow-control windows: per response, and for the whole connection (several lists at once). */
const streamWindow = 4 * 1024 * 1024
const connectionWindow = 16 * 1024 * 1024

/**
 * One HTTP/2 session to the API server, with client-node's TLS options. The session does not keep
 * the process alive while no request is in flight, so a command ends when its work ends.
 */
function connectHttp2(url: URL, options: ClientOptions, connectMs: number, onClosed: () => void): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url.origin, {
      // http2's own connection, with its connect and TLS handshake bounded (a server that accepts
      // and never answers would otherwise hold the command forever).
      createConnection: (authority: URL, connectOptions: http2.SessionOptions) => {
        const socket = tls.connect({
          ...(connectOptions as tls.ConnectionOptions),
          host: authority.hostname.replace(/^\[|\]$/g, ''),
          port: Number(authority.port || 443),
          servername: options.servername ?? (net.isIP(authority.hostname.replace(/^\[|\]$/g, '')) ? undefined : authority.hostname),
          ALPNProtocols: ['h2'],
        })
        guardSocket(socket, url.origin, connectMs)
        return socket
      },
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      pfx: options.pfx,
      passphrase: options.passphrase,
      servername: options.servername,
      rejectUnauthorized: options.rejectUnauthorized,
      // HTTP/2's default flow-control window (64 KiB) would cap each round trip at 64 KiB: over a
      // 40 ms link, 13 Mbit/s. Let a response stream in at the link's speed, as client-go does.
      settings: {initialWindowSize: streamWindow},
    })
    session.once('connect', () => session.setLocalWindowSize(connectionWindow))
    let inFlight = 0
    let connected = false
    let sessionError: Error | undefined
    session.on('error', (error: Error) => {
      sessionError = error
      if (!connected) reject(error)
    })
    // A closed session is not reused: the next request (or its retry) connects afresh.
    const closed = () => {
      // A session that never connected left its place to HTTP/1.1, which stays.
      if (connected) onClosed()
    }
    session.once('close', closed)
    session.once('goaway', closed)
    session.once('connect', () => {
      connected = true
      session.unref()
      resolve({
        get(requestUrl, headers, requestOptions) {
          if (session.closed || session.destroyed)
            return Promise.reject(sessionError ?? Object.assign(new Error(`the connection to ${url.host} was closed`), {code: 'ECONNRESET'}))
          return new Promise((resolveRequest, rejectRequest) => {
            if (inFlight++ === 0) session.ref()
            let finished = false
            let timer: NodeJS.Timeout | undefined
            const finish = (outcome: () => void) => {
              if (finished) return
              finished = true
              clearTimeout(timer)
              if (--inFlight === 0 && !session.destroyed) session.unref()
              outcome()
            }
            const stream = session.request({':method': 'GET', ':path': requestUrl.pathname + requestUrl.search, ...headers}, {endStream: true})
            if (requestOptions.timeout) {
              const timeout = requestOptions.timeout
              timer = setTimeout(() => {
                finish(() => rejectRequest(timeoutError('response', url.origin, timeout)))
                stream.close(http2.constants.NGHTTP2_CANCEL)
              }, timeout)
            }
            let status = 0
            let encoding: string | undefined
            const responseHeaders: Record<string, string> = {}
            stream.on('response', (received) => {
              status = Number(received[':status'])
              for (const [key, value] of Object.entries(received)) if (!key.startsWith(':') && value !== undefined) responseHeaders[key] = String(value)
              encoding = responseHeaders['content-encoding']
            })
            const chunks: Buffer[] = []
            stream.on('data', (chunk: Buffer) => chunks.push(chunk))
            stream.on('end', () => finish(() => resolveRequest({status, headers: responseHeaders, encoding, body: Buffer.concat(chunks)})))
            stream.on('error', (error: Error) => finish(() => rejectRequest(sessionError ?? error)))
            stream.on('close', () => {
              // NGHTTP2_REFUSED_STREAM (7) and the like: nothing was processed; a read is tried again.
              const cancelled = Object.assign(new Error(`the request to ${url.host} was reset (HTTP/2 code ${stream.rstCode})`), {code: 'ECONNRESET'})
              finish(() => rejectRequest(sessionError ?? cancelled))
            })
          })
        },
      })
    })
  })
}
