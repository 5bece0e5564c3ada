import type {CommandIO} from '../cli/io.js'
import {thousands} from '../render/number.js'
import {type CorruptRecord, reportCorrupt} from './corrupt.js'
import {listReleases, type ReleaseRow} from './list.js'
import {listEmptyLine, listSummaryLine, releaseColumns} from './rows.js'

export interface HelmListFlags {
  'all-namespaces': boolean
  stuck: boolean
  strict?: boolean
  /** -o: `name` prints release names, one a line (json and yaml are the result document, printed by the caller). */
  output?: string
}

export interface HelmListResult {
  /** What was listed, e.g. "all namespaces" or `namespace "adm"`. */
  scope: string
  releases: ReleaseRow[]
  /** Releases whose latest revision is failed or pending-*. */
  stuck: number
  /** Revision records looked at (all revisions of all releases); only the latest of each is decoded. */
  recordsSeen: number
  notes: string[]
  /** Records that cannot be decoded: their releases are not listed (helm skips them too). */
  corrupt: CorruptRecord[]
}

/** `elife-k8s helm list`, whether oclif runs it (src/commands/helm/list.ts) or the fast path. */
export async function runHelmList(io: CommandIO, flags: HelmListFlags): Promise<HelmListResult> {
  const namespace = flags['all-namespaces'] ? undefined : io.namespace
  const scope = namespace ? `namespace "${namespace}"` : 'all namespaces'
  const listed = await io.callApi({verb: 'list helm release records (Secrets with owner=helm)', target: namespace ? `in namespace "${namespace}"` : 'in all namespaces'}, () =>
    listReleases(io.kube.kc, {
      namespace,
      stuckOnly: flags.stuck,
      onProgress: (seen) => io.steps.progress(`read ${thousands(seen)} release records…`),
      onRestart: (attempt) => io.steps.warning(`the release list expired while paging (410 Gone); listing again from the start (attempt ${attempt})`),
    }),
  )
  io.steps.done()
  const result: HelmListResult = {
    scope,
    releases: listed.releases,
    stuck: listed.releases.filter((r) => r.stuck).length,
    recordsSeen: listed.recordsSeen,
    notes: listed.notes,
    corrupt: listed.corrupt,
  }
  for (const note of listed.notes) io.steps.warning(note)
  if (flags.output === 'name') {
    for (const release of result.releases) io.log(release.name)
  } else if (result.releases.length === 0) {
    io.log(listEmptyLine(scope, flags.stuck))
  } else {
    io.table(result.releases, releaseColumns(Boolean(namespace)))
    io.log('')
    io.log(listSummaryLine(result.releases, scope, flags.stuck))
  }
  reportCorrupt(result.corrupt, {warn: (line) => io.steps.warning(line), json: io.json, strict: flags.strict === true})
  return result
}
