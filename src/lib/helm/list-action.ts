import type {ActionContext, ReadAction} from '../cli/action.js'
import {CliError} from '../errors.js'
import {thousands} from '../render/number.js'
import {type CorruptRecord, reportCorrupt} from './corrupt.js'
import {goJson, goYamlList, helmListElement} from './helm-output.js'
import {listReleases, type ReleaseRow} from './list.js'
import {listEmptyLine, listSummaryLine, releaseColumns} from './rows.js'

/** `helm list`: the flags (src/lib/cli/flags.ts helmListFlags, read by oclif and the fast path). */
export interface HelmListFlags {
  'all-namespaces'?: boolean
  stuck?: boolean
  strict?: boolean
  /** table (ours), or json/yaml in helm's own shape. */
  output?: string
  json?: boolean
}

export type HelmListOutput = 'table' | 'json' | 'yaml' | 'name'

export interface HelmListInput {
  /** undefined: all namespaces. */
  namespace?: string
  stuckOnly: boolean
  strict: boolean
  output: HelmListOutput
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

/** Flags -> input: -A or the namespace to list, and the output format. */
export function helmListInput(ctx: ActionContext, flags: HelmListFlags): HelmListInput {
  const output = (flags.output ?? 'table') as HelmListOutput
  if (flags.json && flags.output !== undefined) {
    throw new CliError('usage', `--json and -o ${flags.output} cannot go together`, {
      hint: "use --json for elife-k8s's result (with owners), or -o json|yaml for helm's own `helm list -o json|yaml` shape",
    })
  }
  return {namespace: flags['all-namespaces'] ? undefined : ctx.io.namespace, stuckOnly: flags.stuck === true, strict: flags.strict === true, output}
}

/** Reads the latest revision of every release (and who owns each) straight from helm's records. */
export const helmList: ReadAction<HelmListInput, HelmListResult> = {
  async run({io}, input) {
    const {namespace} = input
    const listed = await io.callApi(
      {verb: 'list helm release records (Secrets with owner=helm)', target: namespace ? `in namespace "${namespace}"` : 'in all namespaces'},
      () =>
        listReleases(io.kube.kc, {
          namespace,
          stuckOnly: input.stuckOnly,
          onProgress: (seen) => io.steps.progress(`read ${thousands(seen)} release records…`),
          onRestart: (attempt) => io.steps.warning(`the release list expired while paging (410 Gone); listing again from the start (attempt ${attempt})`),
        }),
    )
    io.steps.done()
    for (const note of listed.notes) io.steps.warning(note)
    return {
      scope: namespace ? `namespace "${namespace}"` : 'all namespaces',
      releases: listed.releases,
      stuck: listed.releases.filter((r) => r.stuck).length,
      recordsSeen: listed.recordsSeen,
      notes: listed.notes,
      corrupt: listed.corrupt,
    }
  },
}

/**
 * The result on stdout (our table, or helm's JSON/YAML), the records that cannot be decoded and
 * the summary line on stderr (no summary with -o json|yaml, whose reader wants data only); with
 * --strict a record that cannot be decoded ends it with exit 6. Nothing on stdout under --json: oclif (or the fast path) prints the result.
 */
export function showHelmList({io}: ActionContext, input: HelmListInput, result: HelmListResult): void {
  if (io.json) {
    // the result is the output
  } else if (input.output === 'json') {
    process.stdout.write(goJson(result.releases.map(helmListElement)))
  } else if (input.output === 'yaml') {
    process.stdout.write(goYamlList(result.releases.map(helmListElement)))
  } else if (input.output === 'name') {
    for (const release of result.releases) io.log(release.name)
  } else if (result.releases.length > 0) {
    io.table(result.releases, releaseColumns(input.namespace !== undefined))
  }
  const corrupt = (strict: boolean) => reportCorrupt(result.corrupt, {warn: (line) => io.steps.warning(line), json: io.json, strict})
  // Without --strict the ⚠ lines come before the summary, which is the last line; with it, the error is.
  if (!input.strict) corrupt(false)
  if (input.output === 'table')
    io.say(result.releases.length === 0 ? listEmptyLine(result.scope, input.stuckOnly) : listSummaryLine(result.releases, result.scope, input.stuckOnly))
  if (input.strict) corrupt(true)
}
