import type {CoreV1Api, V1Pod} from '@kubernetes/client-node'

import {pagedList} from '../kube/list.js'
import {type ContainerRow, containerRows, imageMatcher, sortContainerRows} from './rows.js'

export interface CollectImagesOptions {
  /** A namespace, or undefined for all namespaces. */
  namespace?: string
  labelSelector?: string
  imagePattern?: string
  /** Pods per page; kubectl's default chunk size. */
  pageSize?: number
  onProgress?: (podsSeen: number) => void
  onRestart?: (attempt: number) => void
}

/** Lists pods page by page and keeps only their container rows. */
export async function collectContainerRows(core: CoreV1Api, options: CollectImagesOptions): Promise<ContainerRow[]> {
  const matches = imageMatcher(options.imagePattern)
  const limit = options.pageSize ?? 500
  const {namespace, labelSelector} = options
  const rows = await pagedList<V1Pod, ContainerRow[]>({
    fetchPage: (token) =>
      namespace
        ? core.listNamespacedPod({namespace, labelSelector, limit, _continue: token})
        : core.listPodForAllNamespaces({labelSelector, limit, _continue: token}),
    init: () => [],
    add(acc, pods) {
      for (const pod of pods) for (const row of containerRows(pod)) if (matches(row.image)) acc.push(row)
    },
    onProgress: options.onProgress,
    onRestart: options.onRestart,
  })
  return sortContainerRows(rows)
}
