// `elife-k8s images` on the fast path (src/lib/cli/fast.ts), bundled into one file.
import {imagesAction, imagesInput} from '../images/action.js'
import {renderImages} from '../images/render.js'
import type {ParsedFlags} from './fast.js'
import {runFastCommand} from './fast-run.js'
import {preconnectedIO} from './io.js'

export function run(flags: ParsedFlags, env: NodeJS.ProcessEnv): Promise<void> {
  return runFastCommand(
    preconnectedIO,
    async (io) => {
      const input = imagesInput(flags)
      const result = await imagesAction.run({io}, input)
      await renderImages(io, input, result)
      return result
    },
    flags,
    env,
  )
}
