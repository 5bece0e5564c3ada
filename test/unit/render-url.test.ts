import {describe, expect, it} from 'vitest'

import {redactUrlCredentials} from '../../src/lib/render/url.js'

// The one redactor of credentials in URLs (helm's chart sources and errors, fluxd's Git remote).
describe('redactUrlCredentials', () => {
  it('hides a password, keeping the user name', () => {
    expect(redactUrlCredentials('https://bot:s3cr3t@github.com/o/r.git')).toBe('https://bot:***@github.com/o/r.git')
    expect(redactUrlCredentials('ssh://git:pw@host/r.git')).toBe('ssh://git:***@host/r.git')
  })

  it("hides an http(s) URL's token-only user, in any case of the scheme", () => {
    expect(redactUrlCredentials('https://ghp_s3cr3t@github.com/o/r.git')).toBe('https://***@github.com/o/r.git')
    expect(redactUrlCredentials('HTTP://tok@charts.example/')).toBe('HTTP://***@charts.example/')
  })

  it("keeps another scheme's user name (ssh's git@) and URLs without credentials", () => {
    expect(redactUrlCredentials('ssh://git@github.com/o/r.git')).toBe('ssh://git@github.com/o/r.git')
    expect(redactUrlCredentials('https://charts.example/app-0.1.0.tgz')).toBe('https://charts.example/app-0.1.0.tgz')
  })

  it('redacts every URL inside a text (helm and git error lines), quoted or not', () => {
    expect(redactUrlCredentials("fatal: repository 'https://x:ghs_S3CR3T@github.com/p.git/' not found; tried http://t0k@h/")).toBe(
      "fatal: repository 'https://x:***@github.com/p.git/' not found; tried http://***@h/",
    )
  })
})
