import {accessSync, constants, realpathSync} from 'node:fs'
import path from 'node:path'

function realpathOrSelf(file: string): string {
  try {
    return realpathSync(file)
  } catch {
    return path.resolve(file)
  }
}

/** The first executable `name` on PATH, as a shell (and kubectl's exec) would find it. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // Not here.
    }
  }
  return undefined
}

/**
 * How the kubeconfig's exec entry should call us: plain `elife-k8s` when that name on PATH is this
 * very installation (so upgrades keep working, as aws-cli's `aws` does), else the absolute path of
 * the running bin script (a checkout, or a second install), so kubectl never runs another copy.
 */
export function elifeK8sExecCommand(runningScript: string, env: NodeJS.ProcessEnv): string {
  const running = realpathOrSelf(runningScript)
  const onPath = findOnPath('elife-k8s', env)
  return onPath && realpathOrSelf(onPath) === running ? 'elife-k8s' : running
}
