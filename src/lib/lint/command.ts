// The body of `elife-k8s lint` after its flags are parsed, shared by the oclif command
// (src/commands/lint.ts) and its fast path (src/lib/cli/fast-lint.ts), which print the same bytes.
import type {CommandOutput} from '../cli/output-io.js'
import {ExitCode} from '../errors.js'
import type {SchemaSet} from '../rules/schema.js'
import {bundledSchemas, lintAction, selectRules, type LintResult} from './lint.js'
import {renderGithub, renderingLine, renderSarif, renderText, summaryLine} from './render.js'

/** lint's own flags, parsed (src/lib/cli/flags.ts lintFlags). */
export interface LintFlags {
  format: string
  rule?: readonly string[]
  'skip-rule'?: readonly string[]
  severity: string
  'kubernetes-version': string
  online: boolean
  'helm-binary'?: string
}

export interface LintCommandInput {
  paths: readonly string[]
  flags: LintFlags
  /** --json (or -o json): the result is the output, printed by the caller. */
  json: boolean
  /** The CLI's version, for SARIF's tool.driver. */
  version: string
  /** --from-cluster (clusterSchemas in ./cluster-schemas.ts). */
  clusterSchemas?: (base: SchemaSet | undefined) => Promise<SchemaSet>
}

function splitIds(values: readonly string[]): string[] {
  return values
    .flatMap((value) => value.split(','))
    .map((id) => id.trim())
    .filter(Boolean)
}

/** Lints, prints the findings in the chosen format on stdout and the summary on stderr; exit code 6 when errors were found. */
export async function runLintCommand(io: CommandOutput, {paths, flags, json, version, clusterSchemas}: LintCommandInput): Promise<LintResult> {
  const only = splitIds(flags.rule ?? [])
  const skip = splitIds(flags['skip-rule'] ?? [])
  const result = await lintAction.run(
    {io},
    {
      paths,
      only,
      skip,
      severity: flags.severity as 'warning' | 'error',
      kubernetesVersion: flags['kubernetes-version'],
      schemas: selectRules(only, skip).some((rule) => rule.id === 'schema') ? bundledSchemas() : undefined,
      clusterSchemas,
      // helm is looked for only when a chart is to be rendered.
      render: {
        // helm's version is kept in the cache directory, keyed by the binary: no `helm version` per
        // run. A helm per HelmRelease, started without execa (spawnRunner says why).
        helm: async () => {
          const {resolveHelm, spawnRunner} = await import('../helm/binary.js')
          return resolveHelm({flag: flags['helm-binary'], cacheVersion: true, runnerFor: spawnRunner})
        },
        online: flags.online,
      },
    },
  )
  if (result.summary.errors > 0) process.exitCode = ExitCode.CHECK_FAILED

  const format = json ? 'json' : flags.format
  if (format === 'json') {
    if (!json) io.log(JSON.stringify(result, null, 2))
  } else if (format === 'sarif') {
    io.log(JSON.stringify(renderSarif(result.findings, selectRules(only, skip), version), null, 2))
  } else if (format === 'github') {
    for (const line of renderGithub(result.findings)) io.log(line)
  } else {
    for (const line of renderText(result.findings, io.stdoutChalk)) io.log(line)
  }
  if (result.summary.schemas === null && result.summary.rules.includes('schema')) {
    io.steps.warning('no schemas were built into this install (the build needs Go and its module proxy), so rule schema checked nothing')
  }
  const rendering = renderingLine(result.rendering)
  if (rendering) io.steps.waiting(rendering)
  const summary = summaryLine(result.summary)
  if (result.summary.errors > 0) io.steps.failure(summary)
  else if (result.summary.warnings > 0) io.steps.warning(summary)
  else io.steps.success(summary)
  return result
}
