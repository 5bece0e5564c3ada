import path from 'node:path'

import {AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig} from '@kubernetes/client-node'
import {inject} from 'vitest'

import {type RunResult, runTool} from './cli.js'

/**
 * The test cluster, as test/setup/cluster-global.ts provides it to integration test files: its
 * admin kubeconfig, the restricted viewer's kubeconfig, and the kubectl and helm that match it.
 * An empty binDir (an external cluster without ELIFE_K8S_TEST_BIN) means kubectl and helm on PATH.
 */
export const kubeconfig: string = inject('kubeconfig') || `${process.env.ELIFE_K8S_TEST_KUBECONFIG}`
export const viewerKubeconfig: string = inject('viewerKubeconfig') || path.join(path.dirname(kubeconfig), 'kubeconfig-viewer')
export const binDir: string = inject('binDir') ?? process.env.ELIFE_K8S_TEST_BIN ?? ''
export const kubectlBin = path.join(binDir, 'kubectl')
export const helmBin = path.join(binDir, 'helm')

/** API clients for the test cluster as the user of `file` (the admin by default). */
export function clusterClients(file = kubeconfig): {kc: KubeConfig; core: CoreV1Api; apps: AppsV1Api; custom: CustomObjectsApi} {
  const kc = new KubeConfig()
  kc.loadFromFile(file)
  return {kc, core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), custom: kc.makeApiClient(CustomObjectsApi)}
}

/** The real kubectl against the test cluster as the admin, stdin fed `input` (or closed). */
export function kubectl(args: string[], input?: string): Promise<RunResult> {
  return runTool(kubectlBin, ['--kubeconfig', kubeconfig, ...args], {input})
}

/** A short random suffix that keeps a test file's namespaces and objects apart from other runs'. */
export function randomSuffix(length = 6): string {
  return Math.random()
    .toString(36)
    .slice(2, 2 + length)
}
