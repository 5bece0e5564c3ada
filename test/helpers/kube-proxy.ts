import type {AppsV1Api, CoreV1Api, V1ConfigMap, V1DaemonSet} from '@kubernetes/client-node'

/**
 * kube-system's kube-proxy (the fixture's EKS DaemonSet and kube-proxy-config ConfigMap) is shared
 * by every test file: a test that runs `kube-proxy fix` on it saves both first, starts from EKS's
 * default (metrics on localhost) whatever an earlier run left, and restores both afterwards (the
 * ConfigMap's data, the DaemonSet's template, annotations and update strategy), so the next file
 * finds the seeded state.
 */
export async function saveKubeProxy(clients: {
  core: CoreV1Api
  apps: AppsV1Api
}): Promise<{original: {configMap: V1ConfigMap; daemonSet: V1DaemonSet}; restore(): Promise<void>}> {
  const {core, apps} = clients
  const namespace = 'kube-system'
  const originalConfigMap: V1ConfigMap = await core.readNamespacedConfigMap({name: 'kube-proxy-config', namespace})
  const originalDaemonSet: V1DaemonSet = await apps.readNamespacedDaemonSet({name: 'kube-proxy', namespace})
  const config = originalConfigMap.data!.config.replace(/^metricsBindAddress: .*$/m, 'metricsBindAddress: 127.0.0.1:10249')
  await core.replaceNamespacedConfigMap({name: 'kube-proxy-config', namespace, body: {...originalConfigMap, data: {...originalConfigMap.data, config}}})
  return {
    original: {configMap: originalConfigMap, daemonSet: originalDaemonSet},
    async restore() {
      const cm = await core.readNamespacedConfigMap({name: 'kube-proxy-config', namespace})
      await core.replaceNamespacedConfigMap({name: 'kube-proxy-config', namespace, body: {...cm, data: originalConfigMap.data}})
      const ds = await apps.readNamespacedDaemonSet({name: 'kube-proxy', namespace})
      await apps.replaceNamespacedDaemonSet({
        name: 'kube-proxy',
        namespace,
        body: {
          ...ds,
          metadata: {...ds.metadata, annotations: originalDaemonSet.metadata?.annotations},
          spec: {...ds.spec!, template: originalDaemonSet.spec!.template, updateStrategy: originalDaemonSet.spec!.updateStrategy},
        },
      })
    },
  }
}
