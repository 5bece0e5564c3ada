// `elife-k8s images` on the fast path (src/lib/cli/fast.ts), bundled into one file.
import {imagesAction, type ImagesInput} from '../images/action.js'
import {renderImages} from '../images/render.js'
import type {ParsedFlags} from './fast.js'
import {runFastCommand} from './fast-run.js'

export function run(flags: ParsedFlags, env: NodeJS.ProcessEnv): Promise<void> {
  return runFastCommand(
    async (io) => {
      const input: ImagesInput = {
        'all-namespaces': flags['all-namespaces'] === true,
        by: flags.by === 'pod' ? 'pod' : 'image',
        wide: flags.wide === true,
        selector: typeof flags.selector === 'string' ? flags.selector : undefined,
        image: typeof flags.image === 'string' ? flags.image : undefined,
      }
      const result = await imagesAction.run({io}, input)
      await renderImages(io, input, result)
      return result
    },
    flags,
    env,
  )
}
