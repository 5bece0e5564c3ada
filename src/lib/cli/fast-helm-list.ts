// `elife-k8s helm list` on the fast path (src/lib/cli/fast.ts), bundled into one file.
import {runHelmList} from '../helm/list-command.js'
import type {ParsedFlags} from './fast.js'
import {runFastCommand} from './fast-run.js'

export function run(flags: ParsedFlags, env: NodeJS.ProcessEnv): Promise<void> {
  return runFastCommand((io) => runHelmList(io, {'all-namespaces': flags['all-namespaces'] === true, stuck: flags.stuck === true, strict: flags.strict === true, output: typeof flags.output === 'string' ? flags.output : undefined}), flags, env)
}
