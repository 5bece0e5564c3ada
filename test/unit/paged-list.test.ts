import {ApiException} from '@kubernetes/client-node'
import {describe, expect, it} from 'vitest'

import {pagedList} from '../../src/lib/kube/list.js'

const gone = () => new ApiException(410, 'Gone', JSON.stringify({kind: 'Status', reason: 'Expired', code: 410}), {})

describe('pagedList', () => {
  it('follows continue tokens and folds every page', async () => {
    const pages: Record<string, {items: number[]; metadata: {_continue?: string}}> = {
      start: {items: [1, 2], metadata: {_continue: 't1'}},
      t1: {items: [3, 4], metadata: {_continue: 't2'}},
      t2: {items: [5], metadata: {}},
    }
    const asked: Array<string | undefined> = []
    const result = await pagedList<number, number[]>({
      fetchPage: async (token) => {
        asked.push(token)
        return pages[token ?? 'start']
      },
      init: () => [],
      add: (acc, items) => acc.push(...items),
    })
    expect(result).toEqual([1, 2, 3, 4, 5])
    expect(asked).toEqual([undefined, 't1', 't2'])
  })

  it('starts over from scratch when the continue token expires (410), never half-reporting', async () => {
    let calls = 0
    const restarts: number[] = []
    const result = await pagedList<string, string[]>({
      fetchPage: async (token) => {
        calls++
        if (calls === 2) throw gone()
        return token ? {items: ['b'], metadata: {}} : {items: ['a'], metadata: {_continue: 'x'}}
      },
      init: () => [],
      add: (acc, items) => acc.push(...items),
      onRestart: (n) => restarts.push(n),
    })
    expect(result).toEqual(['a', 'b'])
    expect(restarts).toEqual([1])
  })

  it('gives up after the restart budget and surfaces the 410', async () => {
    await expect(
      pagedList<string, string[]>({
        fetchPage: async (token) => {
          if (token) throw gone()
          return {items: ['a'], metadata: {_continue: 'x'}}
        },
        init: () => [],
        add: (acc, items) => acc.push(...items),
        maxRestarts: 2,
      }),
    ).rejects.toMatchObject({code: 410})
  })

  it('does not retry a 410 on the first page (nothing to resume)', async () => {
    let calls = 0
    await expect(
      pagedList<string, string[]>({
        fetchPage: async () => {
          calls++
          throw gone()
        },
        init: () => [],
        add: () => {},
      }),
    ).rejects.toMatchObject({code: 410})
    expect(calls).toBe(1)
  })
})
