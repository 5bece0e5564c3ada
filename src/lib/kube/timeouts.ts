import type http from 'node:http'
import type net from 'node:net'
import {TLSSocket} from 'node:tls'

import type {KubeConfig} from '@kubernetes/client-node'

import {durationFlag} from '../duration.js'

/**
 * How long a command waits on a server (the API server, an AWS endpoint) before it gives up with
 * exit 5, as kubectl does instead of hanging on a server that accepts the connection and never
 * answers. One --request-timeout (kubectl's flag, Go duration syntax) sets both limits:
 *
 * - `connectMs`: TCP connect plus TLS handshake, for every request, watch and stream;
 * - `requestMs`: the whole of one request (connect to last byte of the answer), for requests
 *   that end; watches and log streams run as long as they need (their connect is bounded).
 */
export interface Timeouts {
  /** 0: no limit on the request as a whole (--request-timeout 0, as kubectl). */
  requestMs: number
  connectMs: number
}

/** Default of --request-timeout: a list of 10,000 pods in pages answers well within it. */
export const defaultRequestTimeout = '60s'
/** kubectl's TLS handshake timeout is 10 s and its dial timeout 30 s: connect + handshake within 15 s. */
export const maxConnectMs = 15_000

/**
 * --request-timeout as kubectl reads it: Go duration syntax ("500ms", "30s", "1m30s"), a bare
 * integer is seconds and "0" means no limit. Returns milliseconds.
 */
export function parseDuration(text: string, flag = '--request-timeout'): number {
  return durationFlag(text, flag, {allowZero: true, bareSeconds: true})
}

export function timeoutsFor(requestTimeout: string | undefined): Timeouts {
  const requestMs = parseDuration(requestTimeout ?? defaultRequestTimeout)
  return {requestMs, connectMs: requestMs > 0 ? Math.min(requestMs, maxConnectMs) : maxConnectMs}
}

/** "1.5s", "500ms", "2m": a duration as the user would write it back. */
export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(3))}s`
  return `${ms}ms`
}

/** The timeout error codes our transports give (src/lib/kube/errors.ts maps them to exit 5). */
export const timeoutCodes = {
  connect: 'ELIFE_CONNECT_TIMEOUT',
  tls: 'ELIFE_TLS_HANDSHAKE_TIMEOUT',
  response: 'ELIFE_RESPONSE_TIMEOUT',
} as const

export type TimeoutPhase = keyof typeof timeoutCodes

const phaseText: Record<TimeoutPhase, string> = {
  connect: 'did not accept a connection',
  tls: 'did not complete the TLS handshake',
  response: 'did not answer',
}

export function timeoutError(phase: TimeoutPhase, host: string, ms: number): Error & {code: string} {
  return Object.assign(new Error(`${host} ${phaseText[phase]} within ${formatDuration(ms)}`), {code: timeoutCodes[phase], timeoutMs: ms})
}

/** The phase of a timeout error made here (through node-fetch's wrapping, by its code). */
export function timeoutPhase(err: unknown): TimeoutPhase | undefined {
  let e: unknown = err
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as {code?: unknown}).code
    for (const [phase, value] of Object.entries(timeoutCodes)) if (code === value) return phase as TimeoutPhase
    e = (e as {cause?: unknown}).cause
  }
  return undefined
}

export function describeTimeout(phase: TimeoutPhase, ms: number): string {
  return `${phaseText[phase]} within ${formatDuration(ms)}`
}

const configured = new WeakMap<KubeConfig, Timeouts>()
let active: Timeouts = timeoutsFor(undefined)

/** Sets the limits of this process (--request-timeout): AWS clients and kubeconfigs configured later use them. */
export function useTimeouts(timeouts: Timeouts): void {
  active = timeouts
}

/** The limits for requests with this kubeconfig (else those of this process, else the defaults). */
export function transportTimeouts(kc?: KubeConfig): Timeouts {
  return (kc && configured.get(kc)) ?? active
}

/**
 * Bounds the connect and TLS handshake of a socket: destroyed with a timeout error (naming
 * `host`) when it is not connected, or not secured, within `ms`.
 */
export function guardSocket(socket: net.Socket, host: string, ms: number): void {
  if (ms <= 0) return
  const secure = socket instanceof TLSSocket
  let connected = !socket.connecting && !secure
  if (connected) return
  const timer = setTimeout(() => socket.destroy(timeoutError(connected ? 'tls' : 'connect', host, ms)), ms)
  const clear = () => clearTimeout(timer)
  socket.once('connect', () => {
    connected = true
    if (!secure) clear()
  })
  socket.once('secureConnect', clear)
  socket.once('close', clear)
  socket.once('error', clear)
}

type ConnectionCallback = (err: Error | null, socket?: net.Socket) => void
type AgentWithConnection = Omit<http.Agent, 'createConnection'> & {
  createConnection?: (options: unknown, callback?: ConnectionCallback) => net.Socket | undefined
}

/** Bounds connect + handshake of every socket the agent opens (requests, watches, log streams, websockets). */
const guardedAgents = new WeakSet<object>()

function guardAgent<A>(agent: A, host: string, timeouts: Timeouts): A {
  const target = agent as AgentWithConnection
  const original = target.createConnection
  // client-node 2 keeps one agent per cluster and hands it out for every request: wrap it once,
  // or each request would add another layer (and another set of listeners on every socket).
  if (typeof original !== 'function' || guardedAgents.has(target)) return agent
  guardedAgents.add(target)
  target.createConnection = function (options, callback) {
    let guarded = false
    const guard = (socket: net.Socket | undefined) => {
      if (socket && !guarded) {
        guarded = true
        guardSocket(socket, host, timeouts.connectMs)
      }
    }
    const socket = original.call(
      this,
      options,
      callback
        ? (err: Error | null, s?: net.Socket) => {
            guard(s)
            callback(err, s)
          }
        : undefined,
    )
    guard(socket ?? undefined)
    return socket
  }
  return agent
}

/**
 * Sets the limits for everything sent with this kubeconfig: client-node makes an agent for each
 * request, watch, log stream and websocket (KubeConfig.createAgent), and every such agent now
 * bounds its sockets' connect and TLS handshake. The whole-request limit is applied by the
 * callers that know a request ends (src/lib/kube/raw.ts, src/lib/kube/clients.ts).
 */
export function configureTransport(kc: KubeConfig, timeouts: Timeouts): void {
  configured.set(kc, timeouts)
  active = timeouts
  const host = kc.getCurrentCluster()?.server ?? 'the API server'
  const internals = kc as unknown as {createAgent: (cluster: unknown, options: unknown) => unknown}
  const createAgent = internals.createAgent.bind(kc)
  internals.createAgent = (cluster, options) => guardAgent(createAgent(cluster, options), host, timeouts)
}
