import {describe, expect, it} from 'vitest'

import {fluxdErrorLine, fluxdSyncHistory, parseFluxdLogLine, parseLogfmt} from '../../src/lib/doctor/fluxd-log.js'

// Lines as fluxd 1.x prints them (go-kit logfmt, or JSON with --log-format=json), behind the
// kubelet's timestamp as `kubectl logs --timestamps` shows them.
const k = (ts: string, line: string) => `${ts} ${line}`
const trying = (ts: string) => k(ts, `ts=${ts} caller=sync.go:64 component=daemon info="trying to sync git changes to the cluster" old=aaaa new=bbbb`)
const loopErr = (ts: string, err: string) => k(ts, `ts=${ts} caller=loop.go:108 component=sync-loop err=${JSON.stringify(err)}`)

describe("fluxd's log lines", () => {
  it('parses go-logfmt: bare and quoted values, Go escapes, empty values', () => {
    expect(parseLogfmt('ts=2026-11-28T10:00:00.5Z caller=sync.go:542 method=Sync cmd=apply args= count=42')).toEqual({
      ts: '2026-11-28T10:00:00.5Z',
      caller: 'sync.go:542',
      method: 'Sync',
      cmd: 'apply',
      args: '',
      count: '42',
    })
    expect(parseLogfmt('cmd="kubectl apply -f -" err=null output="a \\"b\\"\\nc"')).toEqual({cmd: 'kubectl apply -f -', err: 'null', output: 'a "b"\nc'})
  })

  it("takes fluxd's ts, else the kubelet's timestamp; reads --log-format=json lines too", () => {
    expect(parseFluxdLogLine(trying('2026-11-28T10:00:00.123456789Z'))?.at.toISOString()).toBe('2026-11-28T10:00:00.123Z')
    const json = parseFluxdLogLine('2026-11-28T10:00:01Z {"caller":"loop.go:108","component":"sync-loop","err":"boom"}')
    expect(json).toEqual({at: new Date('2026-11-28T10:00:01Z'), fields: {caller: 'loop.go:108', component: 'sync-loop', err: 'boom'}})
  })
})

describe('fluxdSyncHistory', () => {
  it('a sync followed by the sync loop error failed; one without an error after it did not', () => {
    const history = fluxdSyncHistory(
      [
        trying('2026-11-28T09:00:00Z'),
        k('2026-11-28T09:00:01Z', 'ts=2026-11-28T09:00:01Z caller=sync.go:608 method=Sync cmd="kubectl apply -f -" took=1s err=null output=""'),
        trying('2026-11-28T09:05:00Z'),
        loopErr('2026-11-28T09:05:02Z', 'loading resources from repo: duplicate definition'),
        // a Git error before "trying" (reading the sync tag): a failed sync of its own
        loopErr('2026-11-28T09:10:00Z', 'git repo not ready: unable to fetch'),
        // the mirror's refresh error carries url: not a sync
        k('2026-11-28T09:11:00Z', 'ts=2026-11-28T09:11:00Z caller=loop.go:127 component=sync-loop url=ssh://git@github.com/x/y err="timeout"'),
      ].join('\n'),
    )
    expect(history.syncs).toEqual([
      {at: new Date('2026-11-28T09:00:00Z')},
      {at: new Date('2026-11-28T09:05:00Z'), failed: {at: new Date('2026-11-28T09:05:02Z'), err: 'loading resources from repo: duplicate definition'}},
      {at: new Date('2026-11-28T09:10:00Z'), failed: {at: new Date('2026-11-28T09:10:00Z'), err: 'git repo not ready: unable to fetch'}},
    ])
    expect(history).toMatchObject({lines: 6, firstAt: new Date('2026-11-28T09:00:00Z')})
  })

  it("the daemon's error during a sync that went on: resources not applied", () => {
    const history = fluxdSyncHistory(
      [
        trying('2026-11-28T09:00:00Z'),
        k('2026-11-28T09:00:02Z', 'ts=2026-11-28T09:00:02Z caller=sync.go:234 component=daemon err="prod:deployment/journal: invalid"'),
      ].join('\n'),
    )
    expect(history.syncs).toEqual([{at: new Date('2026-11-28T09:00:00Z'), resourceErrors: 'prod:deployment/journal: invalid'}])
  })

  it("an error line for a message: the first line, a URL's credentials hidden", () => {
    expect(fluxdErrorLine("fatal: unable to access 'https://deploy:tok3n@github.com/x/': 403, full output:\n more")).toBe(
      "fatal: unable to access 'https://deploy:***@github.com/x/': 403, full output:",
    )
  })
})
