import {describe, expect, it} from 'vitest'

import {CliError} from '../../src/lib/errors.js'
import {formatDuration, parseDuration, timeoutsFor} from '../../src/lib/kube/timeouts.js'

describe('--request-timeout (Go duration syntax, as kubectl reads it)', () => {
  it('reads Go durations and bare seconds', () => {
    expect(parseDuration('500ms')).toBe(500)
    expect(parseDuration('30s')).toBe(30_000)
    expect(parseDuration('1m')).toBe(60_000)
    expect(parseDuration('1m30s')).toBe(90_000)
    expect(parseDuration('1.5h')).toBe(5_400_000)
    expect(parseDuration('2')).toBe(2000)
    expect(parseDuration('0')).toBe(0)
  })

  it('refuses anything else, naming the flag and never the value', () => {
    for (const bad of ['', 'soon', '1 m', '5x', '-1s', 's', '1m junk']) {
      let thrown: unknown
      try {
        parseDuration(bad)
      } catch (error) {
        thrown = error
      }
      expect(thrown, bad).toBeInstanceOf(CliError)
      expect((thrown as CliError).kind).toBe('usage')
      expect((thrown as CliError).line).toMatch(/^--request-timeout is not a duration/)
      if (bad.trim().length > 2) expect((thrown as CliError).line).not.toContain(bad.trim())
    }
  })

  it('bounds connect + handshake by the request timeout, else 15s; 0 means no request limit', () => {
    expect(timeoutsFor('1s')).toEqual({requestMs: 1000, connectMs: 1000})
    expect(timeoutsFor('5m')).toEqual({requestMs: 300_000, connectMs: 15_000})
    expect(timeoutsFor('0')).toEqual({requestMs: 0, connectMs: 15_000})
    expect(timeoutsFor(undefined)).toEqual({requestMs: 60_000, connectMs: 15_000})
  })

  it('says durations back as a user writes them', () => {
    expect([500, 1000, 1500, 60_000, 90_000].map(formatDuration)).toEqual(['500ms', '1s', '1.5s', '1m', '90s'])
  })
})

describe('configureTransport', () => {
  it('bounds an agent client-node hands out again and again once, not once per request (client-node 2 keeps one per cluster)', async () => {
    const {KubeConfig} = await import('@kubernetes/client-node')
    const net = await import('node:net')
    const {configureTransport} = await import('../../src/lib/kube/timeouts.js')
    const kc = new KubeConfig()
    kc.loadFromOptions({
      clusters: [{name: 'c', server: 'https://127.0.0.1:1'}],
      users: [{name: 'u'}],
      contexts: [{name: 'x', cluster: 'c', user: 'u'}],
      currentContext: 'x',
    })
    const socket = new net.Socket()
    Object.defineProperty(socket, 'connecting', {value: true})
    const agent = {createConnection: () => socket}
    const internals = kc as unknown as {createAgent: (cluster: unknown, options: unknown) => typeof agent}
    internals.createAgent = () => agent
    configureTransport(kc, {requestMs: 60_000, connectMs: 15_000})
    for (let i = 0; i < 12; i++) internals.createAgent({}, {})
    internals.createAgent({}, {}).createConnection()
    // One guard on the socket (four once-listeners, one of them 'close'), however many requests took the agent.
    expect(socket.listenerCount('close')).toBe(1)
    socket.destroy()
  })
})
