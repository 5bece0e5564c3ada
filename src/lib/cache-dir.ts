import {homedir} from 'node:os'
import path from 'node:path'

/**
 * elife-k8s's cache directory: $XDG_CACHE_HOME/elife-k8s, else ~/.cache/elife-k8s
 * (~/Library/Caches/elife-k8s on macOS). Token cache and Node's compile cache live below it.
 */
export function cacheDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  const xdg = env.XDG_CACHE_HOME
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'elife-k8s')
  const home = env.HOME || homedir()
  return path.join(home, platform === 'darwin' ? path.join('Library', 'Caches') : '.cache', 'elife-k8s')
}
