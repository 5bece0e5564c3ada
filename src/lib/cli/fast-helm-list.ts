// `elife-k8s helm list` on the fast path (src/lib/cli/fast.ts), bundled into one file: the same
// input, action and rendering as src/commands/helm/list.ts.
import {helmList, type HelmListFlags, helmListInput, showHelmList} from '../helm/list-action.js'
import type {ParsedFlags} from './fast.js'
import {runFastCommand} from './fast-run.js'
import {preconnectedIO} from './io.js'

export function run(flags: ParsedFlags, env: NodeJS.ProcessEnv): Promise<void> {
  return runFastCommand(
    preconnectedIO,
    async (io) => {
      const ctx = {io}
      const input = helmListInput(ctx, flags as HelmListFlags)
      const result = await helmList.run(ctx, input)
      showHelmList(ctx, input, result)
      return result
    },
    // helm list's -o json|yaml is helm's own shape (printed by showHelmList), not the --json document.
    {...flags, output: undefined},
    env,
  )
}
