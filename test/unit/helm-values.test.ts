import {describe, expect, it} from 'vitest'

import {looksSecretValue, mergeValues, redactValues, valueAt, valuePaths, valuePathsIn} from '../../src/lib/helm/values.js'

describe('values shown by helm debug', () => {
  it('redacts strings whose key or shape looks secret, keeps the rest', () => {
    const values = {
      image: {repository: 'elifesciences/journal', tag: 'abc1234'},
      database: {password: 'hunter2', host: 'db.prod'},
      slack: {url: 'https://hooks.slack.com/services/T0/B0/XYZ'},
      apiToken: 'x',
      sentry: 'https://abc:def@sentry.io/1',
      key: 'aGVsbG8gd29ybGQgdGhpcyBpcyBzZWNyZXQ=',
      replicas: 3,
    }
    expect(redactValues(values)).toEqual({
      image: {repository: 'elifesciences/journal', tag: 'abc1234'},
      database: {password: '<redacted: 7 chars>', host: 'db.prod'},
      slack: {url: 'https://hooks.slack.com/services/T0/B0/XYZ'},
      apiToken: '<redacted: 1 chars>',
      sentry: '<redacted: 27 chars>',
      key: '<redacted: 36 chars>',
      replicas: 3,
    })
    expect(looksSecretValue('Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA')).toBe(true)
    expect(looksSecretValue('libero-reviewer--prod-database')).toBe(false)
  })
  it('merges like helm values files and finds paths', () => {
    expect(mergeValues({a: {b: 1, c: 2}, l: [1]}, {a: {b: 3}, l: [2]})).toEqual({a: {b: 3, c: 2}, l: [2]})
    expect(valueAt({a: {b: {c: 5}}}, 'a.b.c')).toBe(5)
    expect(valuePaths({a: {b: 1, c: {}}, d: 'x'})).toEqual(['a.b', 'a.c', 'd'])
    expect(valuePathsIn('image: {{ printf "%s:%s" .Values.image.repository (required "image.tag is required" .Values.image.tag) }}')).toEqual([
      'image.repository',
      'image.tag',
    ])
  })
})
