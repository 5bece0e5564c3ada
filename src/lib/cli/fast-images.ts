// `elife-k8s images` on the fast path (src/lib/cli/fast.ts), bundled into one file.
import {runImages} from '../images/command.js'
import type {ParsedFlags} from './fast.js'
import {runFastCommand} from './fast-run.js'

export function run(flags: ParsedFlags, env: NodeJS.ProcessEnv): Promise<void> {
  return runFastCommand(
    (io) =>
      runImages(io, {
        'all-namespaces': flags['all-namespaces'] === true,
        by: flags.by === 'pod' ? 'pod' : 'image',
        wide: flags.wide === true,
        selector: typeof flags.selector === 'string' ? flags.selector : undefined,
        image: typeof flags.image === 'string' ? flags.image : undefined,
        output: typeof flags.output === 'string' ? flags.output : undefined,
      }),
    flags,
    env,
  )
}
