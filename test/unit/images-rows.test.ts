import type {V1Pod} from '@kubernetes/client-node'
import {describe, expect, it} from 'vitest'

import {containerRows, digestFromImageID, groupByImage, imageMatcher, sortContainerRows, summarize} from '../../src/lib/images/rows.js'

const pod = (ns: string, name: string, spec: Partial<NonNullable<V1Pod['spec']>>, status: V1Pod['status'] = {}): V1Pod => ({
  metadata: {namespace: ns, name},
  spec: {containers: [], ...spec},
  status,
})

describe('containerRows', () => {
  it('lists init, app and ephemeral containers in that order with their digests', () => {
    const rows = containerRows(
      pod(
        'prod',
        'journal-1',
        {
          nodeName: 'node-a',
          initContainers: [{name: 'migrate', image: 'elifesciences/journal:abc'}],
          containers: [
            {name: 'web', image: 'elifesciences/journal:abc'},
            {name: 'fpm', image: 'elifesciences/journal_fpm:abc'},
          ],
          ephemeralContainers: [{name: 'debugger', image: 'nicolaka/netshoot'}],
        },
        {
          phase: 'Running',
          containerStatuses: [
            {name: 'fpm', image: 'x', imageID: 'docker-pullable://elifesciences/journal_fpm@sha256:feed', ready: true, restartCount: 0},
            {name: 'web', image: 'x', imageID: 'sha256:beef', ready: true, restartCount: 0},
          ],
        },
      ),
    )
    expect(rows.map((r) => [r.container, r.kind, r.digest])).toEqual([
      ['migrate', 'init', ''],
      ['web', 'container', 'sha256:beef'],
      ['fpm', 'container', 'sha256:feed'],
      ['debugger', 'ephemeral', ''],
    ])
    expect(rows.every((r) => r.namespace === 'prod' && r.pod === 'journal-1' && r.node === 'node-a' && r.phase === 'Running')).toBe(true)
  })

  it('keeps pods that are not scheduled yet, with an empty node and their phase', () => {
    const [row] = containerRows(pod('stg', 'pending-1', {containers: [{name: 'app', image: 'nginx:1.25'}]}, {phase: 'Pending'}))
    expect(row).toMatchObject({node: '', phase: 'Pending', image: 'nginx:1.25', digest: ''})
  })
})

describe('digestFromImageID', () => {
  it.each([
    ['docker-pullable://nginx@sha256:0123abcd', 'sha256:0123abcd'],
    ['docker.io/library/nginx@sha256:0123abcd', 'sha256:0123abcd'],
    ['sha256:0123abcd', 'sha256:0123abcd'],
    ['', ''],
    [undefined, ''],
    ['not-a-digest', ''],
  ])('%s -> %s', (imageID, digest) => {
    expect(digestFromImageID(imageID)).toBe(digest)
  })
})

describe('imageMatcher', () => {
  it('matches substrings without a star and anchored globs with one', () => {
    expect(imageMatcher('journal')('elifesciences/journal:abc')).toBe(true)
    expect(imageMatcher('journal')('nginx:1.25')).toBe(false)
    expect(imageMatcher('elifesciences/*')('elifesciences/journal:abc')).toBe(true)
    expect(imageMatcher('*:abc')('elifesciences/journal:abc')).toBe(true)
    expect(imageMatcher('*:ab')('elifesciences/journal:abc')).toBe(false)
    expect(imageMatcher('a.b*')('axb')).toBe(false)
    expect(imageMatcher(undefined)('anything')).toBe(true)
  })
})

describe('grouping and summary', () => {
  const rows = sortContainerRows([
    ...containerRows(
      pod('stg', 'b', {
        containers: [
          {name: 'app', image: 'nginx:1.25'},
          {name: 'side', image: 'busybox'},
        ],
      }),
    ),
    ...containerRows(pod('prod', 'a', {initContainers: [{name: 'init', image: 'busybox'}], containers: [{name: 'app', image: 'nginx:1.25'}]})),
    ...containerRows(pod('prod', 'c', {containers: [{name: 'app', image: 'nginx:1.25'}]})),
  ])

  it('sorts by namespace then pod, init containers first', () => {
    expect(rows.map((r) => `${r.namespace}/${r.pod}/${r.container}`)).toEqual(['prod/a/init', 'prod/a/app', 'prod/c/app', 'stg/b/app', 'stg/b/side'])
  })

  it('counts pods, containers and namespaces per image', () => {
    expect(groupByImage(rows)).toEqual([
      {image: 'busybox', pods: 2, containers: 2, namespaces: ['prod', 'stg']},
      {image: 'nginx:1.25', pods: 3, containers: 3, namespaces: ['prod', 'stg']},
    ])
    expect(summarize(rows)).toEqual({namespaces: 2, pods: 3, containers: 5, images: 2})
  })
})
