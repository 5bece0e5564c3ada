import {byCodeUnit} from '../render/order.js'

/** The fields of a pod (as the API server sends it) that rows are made of. */
export interface PodLike {
  metadata?: {namespace?: string; name?: string}
  spec?: {
    nodeName?: string
    initContainers?: ContainerSpecLike[]
    containers?: ContainerSpecLike[]
    ephemeralContainers?: ContainerSpecLike[]
  }
  status?: {
    phase?: string
    initContainerStatuses?: ContainerStatusLike[]
    containerStatuses?: ContainerStatusLike[]
    ephemeralContainerStatuses?: ContainerStatusLike[]
  }
}

interface ContainerSpecLike {
  name: string
  image?: string
}

interface ContainerStatusLike {
  name: string
  imageID?: string
}

export type ContainerKind = 'init' | 'container' | 'ephemeral'

/** One container of one pod: the `--by pod` view and the unit everything else is counted from. */
export interface ContainerRow {
  namespace: string
  pod: string
  container: string
  image: string
  kind: ContainerKind
  /** The pod's phase (Pending, Running, ...). */
  phase: string
  /** The node the pod is scheduled on; empty while unscheduled. */
  node: string
  /** The image digest actually running (sha256:...), from status.containerStatuses[].imageID. */
  digest: string
}

/** One image in use: the default view. */
export interface ImageRow {
  image: string
  pods: number
  containers: number
  namespaces: string[]
}

export interface ImagesSummary {
  namespaces: number
  pods: number
  containers: number
  images: number
}

const kindOrder: Record<ContainerKind, number> = {init: 0, container: 1, ephemeral: 2}

/** `docker-pullable://repo@sha256:abc`, `repo@sha256:abc`, `sha256:abc` -> `sha256:abc`. */
export function digestFromImageID(imageID: string | undefined): string {
  if (!imageID) return ''
  const at = imageID.lastIndexOf('@')
  const ref = at >= 0 ? imageID.slice(at + 1) : imageID.replace(/^[a-z-]+:\/\//, '')
  return /^[a-z0-9]+:[a-f0-9]+$/i.test(ref) ? ref : ''
}

function statusByName(statuses: ContainerStatusLike[] | undefined): Map<string, ContainerStatusLike> {
  const byName = new Map<string, ContainerStatusLike>()
  for (const s of statuses ?? []) byName.set(s.name, s)
  return byName
}

/** The containers of one pod, init containers first, in spec order, as kubectl lists them. */
export function containerRows(pod: PodLike): ContainerRow[] {
  const namespace = pod.metadata?.namespace ?? ''
  const name = pod.metadata?.name ?? ''
  const phase = pod.status?.phase ?? 'Unknown'
  const node = pod.spec?.nodeName ?? ''
  const rows: ContainerRow[] = []
  const push = (kind: ContainerKind, containers: ContainerSpecLike[] | undefined, statuses: ContainerStatusLike[] | undefined) => {
    if (!containers) return
    const byName = statusByName(statuses)
    for (const c of containers) {
      rows.push({namespace, pod: name, container: c.name, image: c.image ?? '', kind, phase, node, digest: digestFromImageID(byName.get(c.name)?.imageID)})
    }
  }
  push('init', pod.spec?.initContainers, pod.status?.initContainerStatuses)
  push('container', pod.spec?.containers, pod.status?.containerStatuses)
  push('ephemeral', pod.spec?.ephemeralContainers, pod.status?.ephemeralContainerStatuses)
  return rows
}

/**
 * `--image` matches a glob when the pattern has `*` (anchored, `*` spans anything), otherwise
 * a plain substring: `journal` finds `elifesciences/journal:abc123`.
 */
export function imageMatcher(pattern: string | undefined): (image: string) => boolean {
  if (!pattern) return () => true
  if (!pattern.includes('*')) return (image) => image.includes(pattern)
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  )
  return (image) => re.test(image)
}

export function compareContainerRows(a: ContainerRow, b: ContainerRow): number {
  return byCodeUnit(a.namespace, b.namespace) || byCodeUnit(a.pod, b.pod) || kindOrder[a.kind] - kindOrder[b.kind]
}

/** Sorts by namespace and pod; within a pod keeps spec order (stable sort). */
export function sortContainerRows(rows: ContainerRow[]): ContainerRow[] {
  return rows.sort(compareContainerRows)
}

export function groupByImage(rows: readonly ContainerRow[]): ImageRow[] {
  const byImage = new Map<string, {pods: Set<string>; containers: number; namespaces: Set<string>}>()
  for (const row of rows) {
    let entry = byImage.get(row.image)
    if (!entry) {
      entry = {pods: new Set(), containers: 0, namespaces: new Set()}
      byImage.set(row.image, entry)
    }
    entry.pods.add(`${row.namespace}/${row.pod}`)
    entry.containers++
    entry.namespaces.add(row.namespace)
  }
  return [...byImage.entries()]
    .map(([image, e]) => ({image, pods: e.pods.size, containers: e.containers, namespaces: [...e.namespaces].sort()}))
    .sort((a, b) => byCodeUnit(a.image, b.image))
}

export function summarize(rows: readonly ContainerRow[]): ImagesSummary {
  const namespaces = new Set<string>()
  const pods = new Set<string>()
  const images = new Set<string>()
  for (const row of rows) {
    namespaces.add(row.namespace)
    pods.add(`${row.namespace}/${row.pod}`)
    images.add(row.image)
  }
  return {namespaces: namespaces.size, pods: pods.size, containers: rows.length, images: images.size}
}
