import type {ReadAction} from '../cli/action.js'
import {CliError} from '../errors.js'
import {thousands} from '../render/number.js'
import {collectContainerRows, podLister} from './collect.js'
import {type ContainerRow, groupByImage, type ImageRow, type ImagesSummary, summarize} from './rows.js'

/** `elife-k8s images`' input, whether oclif parsed the flags (src/commands/images.ts) or the fast path did. */
export interface ImagesInput {
  'all-namespaces': boolean
  by: 'image' | 'pod'
  wide: boolean
  selector?: string
  image?: string
  /** -o: `wide` is --wide (json and yaml are the result document, printed by the caller). */
  output?: string
}

/** The flags as either parser gives them -> the action's input (-o wide is --wide). */
export function imagesInput(flags: Record<string, unknown>): ImagesInput {
  return {
    'all-namespaces': flags['all-namespaces'] === true,
    by: flags.by === 'pod' ? 'pod' : 'image',
    wide: flags.wide === true || flags.output === 'wide',
    selector: typeof flags.selector === 'string' ? flags.selector : undefined,
    image: typeof flags.image === 'string' ? flags.image : undefined,
    output: typeof flags.output === 'string' ? flags.output : undefined,
  }
}

export interface ImagesResult {
  /** Which rows `rows` holds: one per image, or one per container (`--by pod`). */
  view: 'image' | 'pod'
  rows: ImageRow[] | ContainerRow[]
  summary: ImagesSummary
  /** What was listed, e.g. "all namespaces" or `namespace "prod"`. */
  scope: string
}

/** Lists the pods page by page and counts their containers' images. */
export const imagesAction: ReadAction<ImagesInput, ImagesResult> = {
  async run({io}, input) {
    checkImagesFlags(input)
    const namespace = input['all-namespaces'] ? undefined : io.namespace
    const scope = namespace ? `namespace "${namespace}"` : 'all namespaces'
    const rows = await io.callApi({verb: 'list pods', target: namespace ? `in namespace "${namespace}"` : 'in all namespaces'}, () =>
      collectContainerRows(podLister(io.kube.kc), {
        namespace,
        labelSelector: input.selector,
        imagePattern: input.image,
        onProgress: (seen) => io.steps.progress(`listed ${thousands(seen)} pods…`),
        onRestart: (attempt) => io.steps.warning(`the pod list expired while paging (410 Gone); listing again from the start (attempt ${attempt})`),
      }),
    )
    io.steps.done()
    const summary = summarize(rows)
    return input.by === 'pod' ? {view: 'pod', rows, summary, scope} : {view: 'image', rows: groupByImage(rows), summary, scope}
  },
}

/**
 * --wide adds per-container columns (the running digest, the pod phase), which the per-image view
 * has no place for: one image may run under several digests in pods of several phases. Asked for
 * there, it is refused before any request rather than ignored.
 */
export function checkImagesFlags(input: Pick<ImagesInput, 'by' | 'wide' | 'output'>): void {
  if (input.wide && input.by !== 'pod') {
    const asked = input.output === 'wide' ? '-o wide' : '--wide'
    throw new CliError('usage', `${asked} adds the digest and phase columns of the per-container view, and the default --by image view has one row per image`, {
      hint: 'add --by pod (e.g. `elife-k8s images -A --by pod --wide`)',
    })
  }
}
