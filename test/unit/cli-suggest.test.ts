import {describe, expect, it} from 'vitest'

import {closestCommands, editDistance} from '../../src/lib/cli/suggest.js'

const topics = ['helm', 'alertmanager', 'kube-proxy', 'flux', 'logs']
const ids = [
  'helm list',
  'helm ls',
  'helm history',
  'helm unstick',
  'helm debug',
  'images',
  'token',
  'kubeconfig',
  'logs',
  'lint',
  'doctor',
  'sniff',
  'kube-proxy fix',
  'flux sync',
  ...topics,
]

describe('closestCommands', () => {
  it('suggests the closest command in the space-separated form', () => {
    expect(closestCommands(['helm', 'lsit'], ids, topics)).toEqual({typed: 'helm lsit', suggestions: ['helm list'], topic: 'helm'})
    expect(closestCommands(['imags'], ids, topics).suggestions).toEqual(['images'])
    expect(closestCommands(['hlem', 'list'], ids, topics)).toMatchObject({typed: 'hlem list', suggestions: ['helm list']})
    expect(closestCommands(['kube-proxy', 'fxi'], ids, topics).suggestions).toEqual(['kube-proxy fix'])
  })

  it('never shows or matches a word that is not a command word (a stray argument may be a secret)', () => {
    const url = 'https://hooks.slack.com/services/T000/B000/XXXXSECRET'
    const found = closestCommands(['helm', 'lsit', url], ids, topics)
    expect(found).toEqual({typed: 'helm lsit', suggestions: ['helm list'], topic: 'helm'})
    const first = closestCommands([url], ids, topics)
    expect(first.typed).toBeUndefined()
    expect(first.suggestions).toEqual([])
    expect(JSON.stringify(closestCommands(['helm', url], ids, topics))).not.toContain('hooks')
  })

  it('suggests nothing for a word far from every command', () => {
    expect(closestCommands(['deploy'], ids, topics).suggestions).toEqual([])
  })

  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('lsit', 'list')).toBe(1)
    expect(editDistance('helm', 'helm')).toBe(0)
    expect(editDistance('', 'ab')).toBe(2)
  })
})
