import {realpathSync} from 'node:fs'
import path from 'node:path'

import {findOnPath} from '../which.js'

function realpathOrSelf(file: string): string {
  try {
    return realpathSync(file)
  } catch {
    return path.resolve(file)
  }
}

/** What kubectl's exec entry runs to call us: the command and the arguments before `token ...`. */
export interface ElifeK8sExec {
  command: string
  args: string[]
}

/**
 * How the kubeconfig's exec entry should call us. When PATH's `node` is the Node running us: plain
 * `elife-k8s` when that name on PATH is this very installation (so upgrades keep working, as
 * aws-cli's `aws` does), else the absolute path of the running bin script (a checkout, or a second
 * install), so kubectl never runs another copy. When PATH's `node` is another Node (or there is
 * none: `npx elife-k8s` run by a Node 22 that PATH does not name, with an older Node first on
 * PATH), the script's `#!/usr/bin/env node` would start that one and stop at the version check:
 * then the running Node itself, with the script as its first argument.
 */
export function elifeK8sExecCommand(runningScript: string, env: NodeJS.ProcessEnv, runningNode: string = process.execPath): ElifeK8sExec {
  const running = realpathOrSelf(runningScript)
  const nodeOnPath = findOnPath('node', env)
  if (!nodeOnPath || realpathOrSelf(nodeOnPath) !== realpathOrSelf(runningNode)) return {command: runningNode, args: [running]}
  const onPath = findOnPath('elife-k8s', env)
  return {command: onPath && realpathOrSelf(onPath) === running ? 'elife-k8s' : running, args: []}
}
