import type {LoadedKubeConfig} from './config.js'

/**
 * A loaded kubeconfig with its API clients, each made on first use and then reused. The API
 * classes are passed in by the commands that use them (`api(CoreV1Api)`): nothing here imports
 * one, so a command that reads plain JSON only (images, helm list) does not load client-node's
 * generated API classes and models at all.
 */
export interface KubeAccess extends LoadedKubeConfig {
  api<T>(apiClass: new (...args: never[]) => T): T
}

export function kubeAccess(loaded: LoadedKubeConfig): KubeAccess {
  const clients = new Map<unknown, unknown>()
  const api = <A>(apiClass: new (...args: never[]) => A): A => {
    if (!clients.has(apiClass)) clients.set(apiClass, loaded.kc.makeApiClient(apiClass as never))
    return clients.get(apiClass) as A
  }
  return {...loaded, api}
}
