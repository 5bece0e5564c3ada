import {describe, expect, it} from 'vitest'

import {shellWords, wrapCommand} from '../../src/help.js'

describe('help examples are wrapped between shell words only', () => {
  it('keeps quoted text and escapes as one word', () => {
    expect(shellWords(`a 'b c' "d \\" e" f\\ g  h`)).toEqual(['a', `'b c'`, `"d \\" e"`, 'f\\ g', 'h'])
  })

  it('never breaks a word, even one longer than the line', () => {
    const arn = 'arn:aws:iam::512686554592:role/kubernetes-aws--flux-prod--AmazonEKSUserRole'
    const lines = wrapCommand(`$ elife-k8s token --cluster c --role-arn ${arn}`, 40)
    expect(lines).toEqual(['$ elife-k8s token --cluster c \\', '  --role-arn \\', `  ${arn}`])
    expect(lines.map((l) => l.replace(/ \\$/, '').trim()).join(' ')).toBe(`$ elife-k8s token --cluster c --role-arn ${arn}`)
  })

  it('fits each line in the width when the words allow', () => {
    for (const line of wrapCommand(`$ elife-k8s helm list -A --json | jq -r '.releases[] | select(.stuck)'`, 30).slice(0, -1))
      expect(line.length).toBeLessThanOrEqual(30)
  })
})
