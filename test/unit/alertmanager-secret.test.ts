import {describe, expect, it} from 'vitest'

import {previousOfAnnotation, previousOwnership, previousStateAnnotation} from '../../src/lib/alertmanager/secret.js'

function secret(annotations?: Record<string, string>, type?: string) {
  return {metadata: {name: 'am-previous', annotations}, type}
}

describe('previousOwnership: which <secret>-previous elife-k8s may overwrite or restore from', () => {
  it('is ours when its previous-of annotation names the live secret (as every elife-k8s version wrote it)', () => {
    expect(previousOwnership(secret({[previousOfAnnotation]: 'am', [previousStateAnnotation]: 'no-key'}, 'Opaque'), 'am')).toEqual({
      ours: true,
      state: 'no-key',
    })
    // marked by hand with only the annotation the refusal names: its content counts as present
    expect(previousOwnership(secret({[previousOfAnnotation]: 'am'}), 'am')).toEqual({ours: true, state: 'present'})
  })

  it("is not ours without the mark, with another secret's mark, an unknown state or another type", () => {
    expect(previousOwnership(secret(), 'am')).toMatchObject({ours: false, why: `it has no ${previousOfAnnotation} annotation`})
    expect(previousOwnership(secret({[previousOfAnnotation]: 'other'}), 'am')).toMatchObject({
      ours: false,
      why: `its ${previousOfAnnotation} annotation names another secret`,
    })
    expect(previousOwnership(secret({[previousOfAnnotation]: 'am', [previousStateAnnotation]: 'whatever'}), 'am')).toMatchObject({ours: false})
    expect(previousOwnership(secret({[previousOfAnnotation]: 'am'}, 'kubernetes.io/tls'), 'am')).toMatchObject({ours: false, why: 'it is not of type Opaque'})
  })
})
