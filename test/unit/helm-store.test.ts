import {describe, expect, it} from 'vitest'

import type {RecordLabels} from '../../src/lib/helm/release.js'
import {type Candidate, releasesToLookAt} from '../../src/lib/helm/store.js'

function latest(...entries: Array<[namespace: string, release: string, revision: number]>): Map<string, Candidate> {
  const map = new Map<string, Candidate>()
  for (const [namespace, release, revision] of entries) {
    const labels: RecordLabels = {release, namespace, revision, status: 'deployed', objectName: `sh.helm.release.v1.${release}.v${revision}`, driver: 'secret'}
    map.set(`secret/${namespace}/${release}`, {labels, data: ''})
  }
  return map
}

describe('which releases need a closer look at their superseded records', () => {
  it('none when every superseded record is older than the latest found (what helm itself leaves)', () => {
    const found = latest(['prod', 'journal', 10], ['prod', 'reviewer', 3])
    const superseded = [
      ...Array.from({length: 9}, (_, i) => ({release: 'journal', revision: i + 1})),
      {release: 'reviewer', revision: 1},
      {release: 'reviewer', revision: 2},
    ]
    expect(releasesToLookAt(found, superseded)).toEqual(new Map())
  })

  it('a superseded record newer than the latest found: look above that revision', () => {
    expect(releasesToLookAt(latest(['prod', 'journal', 10]), [{release: 'journal', revision: 11}])).toEqual(new Map([['journal', 10]]))
  })

  it('a release with superseded records only: look at all of them', () => {
    expect(releasesToLookAt(latest(['prod', 'journal', 10]), [{release: 'digests', revision: 1}])).toEqual(new Map([['digests', 0]]))
  })

  it('one name in two namespaces: names alone cannot tell, so look above the lower latest', () => {
    const found = latest(['prod', 'journal', 5], ['stg', 'journal', 9])
    // stg's revisions 6..8 are above prod's latest: whose they are needs the labels
    expect(
      releasesToLookAt(found, [
        {release: 'journal', revision: 4},
        {release: 'journal', revision: 8},
      ]),
    ).toEqual(new Map([['journal', 5]]))
    expect(releasesToLookAt(found, [{release: 'journal', revision: 4}])).toEqual(new Map())
  })

  it("one name in two namespaces, one of them with superseded records only: look at all of that name's records", () => {
    // stg has journal 1..3 (latest 3); prod's only journal record is a superseded revision 1 (hand
    // edited): two records at revision 1 and one namespace whose latest is above it.
    const found = latest(['stg', 'journal', 3])
    expect(
      releasesToLookAt(found, [
        {release: 'journal', revision: 1},
        {release: 'journal', revision: 2},
        {release: 'journal', revision: 1},
      ]),
    ).toEqual(new Map([['journal', 0]]))
    expect(
      releasesToLookAt(found, [
        {release: 'journal', revision: 1},
        {release: 'journal', revision: 2},
      ]),
    ).toEqual(new Map())
  })
})
