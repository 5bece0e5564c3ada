import {getEventListeners} from 'node:events'

import {describe, expect, it} from 'vitest'

import {pause} from '../../src/lib/logs/logs.js'

describe('logs -f polling', () => {
  it('leaves no abort listener behind on the signal, poll after poll', async () => {
    const controller = new AbortController()
    for (let i = 0; i < 20; i++) await pause(1, controller.signal)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('ends at once when the signal aborts, and then too leaves no listener', async () => {
    const controller = new AbortController()
    const waiting = pause(60_000, controller.signal)
    controller.abort()
    await waiting
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    await pause(60_000, controller.signal)
  })
})
