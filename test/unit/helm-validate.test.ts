import {describe, expect, it} from 'vitest'

import {manifestObjects, redactApiMessage} from '../../src/lib/helm/validate.js'

describe('helm debug --validate, pure parts', () => {
  it('reads the objects of helm template output, skipping empty documents and notes', () => {
    const manifest =
      '---\n# Source: app/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n# Source: app/templates/empty.yaml\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: b\n'
    expect(manifestObjects(manifest).map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual(['ConfigMap/a', 'Deployment/b'])
  })

  it("keeps the API server's words but not a quoted value that looks secret", () => {
    expect(redactApiMessage('ConfigMap "x_Bad" is invalid: metadata.name: Invalid value: "x_Bad": a lowercase RFC 1123 subdomain')).toBe(
      'ConfigMap "x_Bad" is invalid: metadata.name: Invalid value: "x_Bad": a lowercase RFC 1123 subdomain',
    )
    expect(redactApiMessage('Secret "s" is invalid: metadata.labels: Invalid value: "Zk3x9Qp2LmN8vB7wYt4R": must be no more than 63')).toBe(
      'Secret "s" is invalid: metadata.labels: Invalid value: <redacted: 20 chars>: must be no more than 63',
    )
  })
})
