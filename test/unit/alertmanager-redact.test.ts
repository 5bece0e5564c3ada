import {describe, expect, it} from 'vitest'

import {isSecretKey, redactedDiff, redactLines, redactText} from '../../src/lib/alertmanager/redact.js'

// Values that must never appear in a diff, whichever side they are on.
const secrets = {
  userKey: 'uKeyPushover0001',
  pushoverToken: 'tokPushover0002',
  smtpPassword: 'smtpPassw0rd0003',
  bearer: 'bearerTok0004',
  credentials: 'credsValue0005',
  pagerKey: 'routingKeyPd0006',
  upperUrlPath: 'UpperCasePath0007',
  mixedCaseKey: 'mixedCaseVal0008',
  tlsKey: 'PRIVATEKEYLINE0009',
  flowKey: 'flowApiKey0010',
  clientSecret: 'oauthSecret0011',
  headerSecret: 'headerSecret0012',
  opsgenie: 'opsgenieKey0013',
}

const previous = `global:
  smtp_auth_password: ${secrets.smtpPassword}
  OPSGENIE_API_KEY: ${secrets.opsgenie}
route:
  receiver: pager
receivers:
  - name: pager
    pushover_configs:
      - user_key: ${secrets.userKey}
        token: "${secrets.pushoverToken}"
    pagerduty_configs:
      - routing_key: ${secrets.pagerKey}
        http_config:
          authorization: {type: Bearer, credentials: ${secrets.credentials}}
          bearer_token: ${secrets.bearer}
          oauth2:
            client_id: app
            client_secret: ${secrets.clientSecret}
            client_secret_file: /etc/alertmanager/oauth-secret
          http_headers:
            X-Auth:
              secrets: [${secrets.headerSecret}]
          tls_config:
            key: |
              -----BEGIN PRIVATE KEY-----
              ${secrets.tlsKey}
              -----END PRIVATE KEY-----
            key_file: /etc/alertmanager/tls.key
    webhook_configs:
      - URL: HTTPS://hooks.example.org/${secrets.upperUrlPath}?x=1
        Api_Key: ${secrets.mixedCaseKey}
        send_resolved: true
    opsgenie_configs:
      - {api_key: ${secrets.flowKey}, priority: P1}
`
const next = `route:
  receiver: slack
receivers:
  - name: slack
    slack_configs:
      - channel: '#alerts'
`

function expectNoSecrets(lines: readonly string[]): void {
  const text = lines.join('\n')
  for (const [name, value] of Object.entries(secrets)) expect(text, `${name} leaks`).not.toContain(value)
}

describe('redacted diffs', () => {
  it('redact every value of a secret-bearing key on the removed side (issue 14 item 7: user_key, tokens, passwords, HTTPS:// URLs)', () => {
    const diff = redactedDiff(previous, next, [])
    expectNoSecrets(diff)
    expect(diff).toContain('-       - user_key: <redacted>')
    expect(diff).toContain('-         token: <redacted>')
    expect(diff).toContain('-   smtp_auth_password: <redacted>')
    expect(diff).toContain('-       - URL: HTTPS://hooks.example.org/…redacted')
    expect(diff).toContain('-         Api_Key: <redacted>')
    expect(diff).toContain('-   OPSGENIE_API_KEY: <redacted>')
    expect(diff).toContain('-       - {api_key: <redacted>, priority: P1}')
    expect(diff).toContain('-           authorization: <redacted>')
    // a multi-line private key collapses onto its key's line
    expect(diff).toContain('-             key: <redacted>')
    expect(diff.join('\n')).not.toContain('BEGIN PRIVATE KEY')
  })

  it('redact the added side the same way', () => {
    const diff = redactedDiff(next, previous, [])
    expectNoSecrets(diff)
    expect(diff).toContain('+       - user_key: <redacted>')
  })

  it('keep *_file paths and other plain values readable', () => {
    const diff = redactedDiff(previous, next, [])
    expect(diff).toContain('-             client_secret_file: /etc/alertmanager/oauth-secret')
    expect(diff).toContain('-             key_file: /etc/alertmanager/tls.key')
    expect(diff).toContain('-             client_id: app')
    expect(diff).toContain('-         send_resolved: true')
  })

  it('show a changed secret as a changed line without either value', () => {
    const before = `receivers:\n  - name: p\n    pushover_configs:\n      - user_key: ${secrets.userKey}\n        token: same-token-value\n`
    const after = before.replace(secrets.userKey, `${secrets.userKey}X`)
    const diff = redactedDiff(before, after, [])
    expect(diff).toEqual([
      '  receivers:',
      '    - name: p',
      '      pushover_configs:',
      '-       - user_key: <redacted>',
      '+       - user_key: <redacted>',
      '          token: <redacted>',
    ])
    // unchanged secrets compare equal: no diff at all
    expect(redactedDiff(before, before, [])).toEqual(['  …'])
  })

  it('redact secrets in text that is not valid YAML (a --rollback shows whatever the secret held)', () => {
    const broken = `route:\n  receiver: [unclosed\nreceivers:\n  - name: x\n    pushover_configs:\n      - User_Key: ${secrets.userKey}\n        tls_config: {Key: ${secrets.flowKey}, insecure_skip_verify: false}\n    email_configs:\n      - auth_password: |\n          ${secrets.smtpPassword}\n        to: ops@example.org\n`
    const lines = redactLines(broken).map((line) => line.shown)
    expectNoSecrets(lines)
    expect(lines).toContain('      - User_Key: <redacted>')
    expect(lines).toContain('        tls_config: {Key: <redacted>, insecure_skip_verify: false}')
    expect(lines).toContain('      - auth_password: <redacted>')
    expect(lines).toContain('        to: ops@example.org')
  })

  it("follow an alias to the anchored secret and mask this run's values anywhere, also in their escaped form", () => {
    const aliased = `x-common: &pw ${secrets.smtpPassword}\nglobal:\n  smtp_auth_password: *pw\n`
    expect(redactText(aliased)).not.toContain(secrets.smtpPassword)
    const quoted = 'receivers:\n  - name: "a\\"secret\\"value"\n'
    expect(redactText(quoted, ['a"secret"value'])).toBe('receivers:\n  - name: "<redacted>"')
  })
})

describe('secret-bearing keys', () => {
  it("are the Secret and SecretURL fields of Alertmanager's config, in any case, without their *_file siblings", () => {
    for (const key of [
      'user_key',
      'token',
      'bot_token',
      'routing_key',
      'service_key',
      'api_key',
      'api_secret',
      'auth_password',
      'auth_secret',
      'slack_api_url',
      'webhook_url',
      'url',
      'password',
      'credentials',
      'client_secret',
      'bearer_token',
      'key',
      'secrets',
      'alert_source_token',
      'USER_KEY',
      'Url',
    ]) {
      expect(isSecretKey(key), key).toBe(true)
    }
    for (const key of ['user_key_file', 'password_file', 'url_file', 'client_secret_ref', 'channel', 'send_resolved', 'to', 'client_id', 'name', 'receiver']) {
      expect(isSecretKey(key), key).toBe(false)
    }
  })
})
