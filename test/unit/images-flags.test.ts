import {describe, expect, it} from 'vitest'

import {CliError} from '../../src/lib/errors.js'
import {checkImagesFlags} from '../../src/lib/images/action.js'

// Issue 14 item 20: --wide without --by pod was silently ignored.
describe('images flags', () => {
  it('refuses --wide in the per-image view, with one line saying to add --by pod', () => {
    expect(() => checkImagesFlags({by: 'image', wide: true})).toThrow(CliError)
    expect(() => checkImagesFlags({by: 'image', wide: true})).toThrow(/^--wide adds the digest and phase columns/)
    expect(() => checkImagesFlags({by: 'pod', wide: true})).not.toThrow()
    expect(() => checkImagesFlags({by: 'image', wide: false})).not.toThrow()
  })
})
