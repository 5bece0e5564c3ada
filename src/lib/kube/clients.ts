import {CoreV1Api} from '@kubernetes/client-node'

import type {LoadedKubeConfig} from './config.js'

/** A loaded kubeconfig with its API clients, each made on first use and then reused. */
export interface KubeAccess extends LoadedKubeConfig {
  core: CoreV1Api
  api<T>(apiClass: new (...args: never[]) => T): T
}

export function kubeAccess(loaded: LoadedKubeConfig): KubeAccess {
  const clients = new Map<unknown, unknown>()
  const api = <A>(apiClass: new (...args: never[]) => A): A => {
    if (!clients.has(apiClass)) clients.set(apiClass, loaded.kc.makeApiClient(apiClass as never))
    return clients.get(apiClass) as A
  }
  return {
    ...loaded,
    api,
    get core() {
      return api(CoreV1Api)
    },
  }
}
