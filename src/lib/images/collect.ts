import type {KubeConfig} from '@kubernetes/client-node'

import {pagedList, type Page} from '../kube/list.js'
import {getJson} from '../kube/raw.js'
import {type ContainerRow, containerRows, imageMatcher, type PodLike, sortContainerRows} from './rows.js'

export interface PodListRequest {
  /** A namespace, or undefined for all namespaces. */
  namespace?: string
  labelSelector?: string
  limit: number
  continueToken?: string
}

/** Fetches one page of pods. */
export type PodLister = (request: PodListRequest) => Promise<Page<PodLike>>

/** Lists pods through client-node's connection, keeping the JSON as sent (see getJson). */
export function podLister(kc: KubeConfig): PodLister {
  return async ({namespace, labelSelector, limit, continueToken}) => {
    const list = await getJson<{items: PodLike[]; metadata?: {continue?: string}}>(
      kc,
      namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods` : '/api/v1/pods',
      {
        labelSelector,
        limit,
        continue: continueToken,
      },
    )
    return {items: list.items ?? [], metadata: {_continue: list.metadata?.continue}}
  }
}

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
export async function collectContainerRows(listPods: PodLister, options: CollectImagesOptions): Promise<ContainerRow[]> {
  const matches = imageMatcher(options.imagePattern)
  const limit = options.pageSize ?? 500
  const {namespace, labelSelector} = options
  const rows = await pagedList<PodLike, ContainerRow[]>({
    fetchPage: (continueToken) => listPods({namespace, labelSelector, limit, continueToken}),
    init: () => [],
    add(acc, pods) {
      for (const pod of pods) for (const row of containerRows(pod)) if (matches(row.image)) acc.push(row)
    },
    onProgress: options.onProgress,
    onRestart: options.onRestart,
  })
  return sortContainerRows(rows)
}
