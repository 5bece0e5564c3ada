import {isGone} from './errors.js'

export interface Page<T> {
  items: T[]
  metadata?: {_continue?: string}
}

export interface PagedListOptions<T, Acc> {
  /** Fetches one page; `continueToken` is undefined for the first. */
  fetchPage: (continueToken: string | undefined) => Promise<Page<T>>
  /** A fresh accumulator; called again when the list has to start over. */
  init: () => Acc
  /** Folds one page into the accumulator, so only the accumulated rows stay in memory. */
  add: (acc: Acc, items: T[]) => void
  /** Called after each page with the number of items seen so far. */
  onProgress?: (seen: number) => void
  /** Called when the server expired our continue token and we start again. */
  onRestart?: (attempt: number) => void
  maxRestarts?: number
}

/**
 * Lists in pages (limit/continue) so memory stays flat however large the cluster. When etcd has
 * compacted away the snapshot the continue token points into, the API answers 410 Gone; rather
 * than report a half list (kubectl's behaviour) or mix two snapshots, we start over from scratch.
 */
export async function pagedList<T, Acc>(options: PagedListOptions<T, Acc>): Promise<Acc> {
  const maxRestarts = options.maxRestarts ?? 3
  for (let attempt = 0; ; attempt++) {
    const acc = options.init()
    let token: string | undefined
    let seen = 0
    try {
      do {
        const page = await options.fetchPage(token)
        options.add(acc, page.items)
        seen += page.items.length
        options.onProgress?.(seen)
        token = page.metadata?._continue || undefined
      } while (token)
      return acc
    } catch (error) {
      if (token && isGone(error) && attempt < maxRestarts) {
        options.onRestart?.(attempt + 1)
        continue
      }
      throw error
    }
  }
}
