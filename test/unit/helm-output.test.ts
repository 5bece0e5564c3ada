import {describe, expect, it} from 'vitest'

import {goJson, goTimeString, goYamlList, goYamlScalar} from '../../src/lib/helm/helm-output.js'

// `helm list -o json|yaml` as helm prints it; compared byte for byte with the real helm in
// test/integration/helm-list.test.ts. These are the cases the cluster does not make.
describe("helm's own output shapes", () => {
  it("times as Go's time.Time.String() of the record's RFC 3339 time", () => {
    const local = () => ({offsetMinutes: 60, name: 'CET'})
    expect(goTimeString('2026-11-28T11:26:57.450035051Z', local)).toBe('2026-11-28 11:26:57.450035051 +0000 UTC')
    // trailing zeros dropped, no fraction at all when it is zero, at most nanoseconds
    expect(goTimeString('2026-11-28T11:26:57.450000Z', local)).toBe('2026-11-28 11:26:57.45 +0000 UTC')
    expect(goTimeString('2026-11-28T11:26:57.000Z', local)).toBe('2026-11-28 11:26:57 +0000 UTC')
    expect(goTimeString('2026-11-28T11:26:57.1234567891Z', local)).toBe('2026-11-28 11:26:57.123456789 +0000 UTC')
    // the local zone's offset takes its name; another offset is its own name (Go's FixedZone(""))
    expect(goTimeString('2026-11-28T12:26:57+01:00', local)).toBe('2026-11-28 12:26:57 +0100 CET')
    expect(goTimeString('2026-11-28T06:26:57.5-05:00', local)).toBe('2026-11-28 06:26:57.5 -0500 -0500')
    expect(goTimeString('not a time', local)).toBe('not a time')
  })

  it("JSON as Go's encoder writes it: compact, HTML characters escaped, one line", () => {
    expect(goJson([{app_version: '<b>&</b>\u2028'}])).toBe('[{"app_version":"\\u003cb\\u003e\\u0026\\u003c/b\\u003e\\u2028"}]\n')
    expect(goJson([])).toBe('[]\n')
  })

  it('YAML scalars as go-yaml v2 writes them', () => {
    // what YAML 1.1 would read as something else: double-quoted
    for (const s of ['', '1', '1.0', '0x1F', '1_000', '1e3', 'yes', 'No', 'on', 'OFF', 'y', '~', 'null', '.inf', '2026-01-02', '1:20'])
      expect(goYamlScalar(s), s).toBe(JSON.stringify(s))
    // what the emitter cannot write plain: single-quoted
    expect(goYamlScalar('v1: beta #2')).toBe("'v1: beta #2'")
    expect(goYamlScalar('- x')).toBe("'- x'")
    expect(goYamlScalar("it's *")).toBe("it's *")
    expect(goYamlScalar('*star')).toBe("'*star'")
    expect(goYamlScalar('-')).toBe("'-'")
    // plain
    for (const s of ['-x', '1.0.0', 'v1.2', 'elife-app-0.1.0', '2026-11-28 11:26:57.45 +0000 UTC', 'pending-upgrade']) expect(goYamlScalar(s), s).toBe(s)
  })

  it('a list of releases: keys sorted, `[]` when empty', () => {
    expect(goYamlList([])).toBe('[]\n')
    expect(goYamlList([{name: 'a', namespace: 'n', revision: '2', updated: '-', status: 'failed', chart: 'c-1.0.0', app_version: '1.0'}])).toBe(
      '- app_version: "1.0"\n  chart: c-1.0.0\n  name: a\n  namespace: "n"\n  revision: "2"\n  status: failed\n  updated: \'-\'\n',
    )
  })
})
