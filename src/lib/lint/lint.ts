import {existsSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import type {ValidateFunction} from 'ajv'

import type {ReadAction} from '../cli/action.js'
import {CliError} from '../errors.js'
import type {HelmTool} from '../helm/binary.js'
import {defaultKubernetesVersion, parseMinor} from '../rules/deprecations.js'
import {atLeast, runRules} from '../rules/engine.js'
import {ObjectIndex} from '../rules/object-index.js'
import {lintRules} from '../rules/registry.js'
import type {SchemaSet} from '../rules/schema.js'
import type {CelRule} from '../rules/schema-convert.js'
import type {ResolvedFinding, Rule, Severity} from '../rules/types.js'
import {loadFiles, type LoadedFiles} from '../sources/files.js'
import {fromClusterError, listClusterCrds, readCrdsAction, withClusterCrds} from './cluster-schemas.js'
import {isDirectory, renderHelmReleases, type RenderOutcome} from './render-charts.js'

export interface LintInput {
  /** Files or directories of the GitOps repository (default: the current directory). */
  paths: readonly string[]
  /** Only these rules (--rule). */
  only?: readonly string[]
  /** Not these rules (--skip-rule). */
  skip?: readonly string[]
  /** Report findings of this severity and worse (--severity). */
  severity: Severity
  /** The Kubernetes minor to check deprecated and removed APIs against (default: the newest EKS supports). */
  kubernetesVersion?: string
  /** Schemas for the `schema` rule (the command passes bundledSchemas()); without them it finds nothing. */
  schemas?: SchemaSet
  /** --from-cluster: add the live cluster's CRDs to the schemas (lintAction only; reads the API). */
  fromCluster?: boolean
  /** Render HelmReleases with helm (rule 9; lintAction only); `--skip-rule helm-render` turns it off. */
  render?: {
    helm: () => Promise<HelmTool>
    /** --online: fetch charts from other Git repositories and chart repositories. */
    online: boolean
    env?: NodeJS.ProcessEnv
    concurrency?: number
  }
}

export interface LintSummary {
  /** YAML files Flux would apply. */
  files: number
  /** Templates (`*.yaml-template`) read beside them. */
  templates: number
  /** Kubernetes objects read (rendered ones included). */
  objects: number
  /** Of those, objects helm rendered from HelmReleases' charts (rule 9). */
  renderedObjects: number
  errors: number
  warnings: number
  /** Findings silenced by `# elife-k8s:ignore` comments. */
  suppressed: number
  /** Findings below the --severity threshold, not shown. */
  belowThreshold: number
  /** Where the schemas came from; null when none were available (the `schema` rule then found nothing). */
  schemas: string[] | null
  /** The Kubernetes minor the objects were checked against. */
  kubernetesVersion: string
  /** Ids of the rules that ran. */
  rules: string[]
}

export interface LintRendering {
  /** helm's version, when it ran. */
  helm?: string
  /** HelmReleases whose charts were rendered: where the chart came from, how many objects. */
  rendered: RenderOutcome['renderedReleases']
  /** HelmReleases not rendered, and why (a chart not reachable offline, values not in the repository...). */
  skipped: RenderOutcome['skipped']
}

export interface LintResult {
  findings: ResolvedFinding[]
  summary: LintSummary
  /** Rule 9 (HelmRelease rendering); absent when it did not run. */
  rendering?: LintRendering
}

/** The rules --rule/--skip-rule leave; unknown ids are a usage error. */
export function selectRules(only: readonly string[] = [], skip: readonly string[] = [], all: readonly Rule[] = lintRules): Rule[] {
  const known = new Set(all.map((rule) => rule.id))
  const unknown = [...only, ...skip].filter((id) => !known.has(id))
  if (unknown.length > 0) {
    throw new CliError('usage', `unknown rule${unknown.length === 1 ? '' : 's'} ${unknown.map((id) => `"${id}"`).join(', ')}`, {
      hint: `the rules are: ${all.map((rule) => rule.id).join(', ')}`,
    })
  }
  return all.filter((rule) => (only.length === 0 || only.includes(rule.id)) && !skip.includes(rule.id))
}

/** The package's root: the nearest directory above this file with our package.json. */
function packageRoot(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    try {
      if ((JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {name?: string}).name === 'elife-k8s') return dir
    } catch {
      // not here
    }
    const parent = path.dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

/**
 * The schemas built into dist/ by scripts/lint-schemas.ts: lint-validators.cjs (which kinds are
 * bundled, where from, and which module of lint-validators/ validates each: code ajv generated at
 * build time, one module per kind) and lint-schemas.json (the definitions, read only for CRDs
 * found in the repository). Undefined when the build could not make them.
 */
export function bundledSchemas(): SchemaSet | undefined {
  const root = packageRoot()
  if (!root) return undefined
  const dist = path.join(root, 'dist')
  const file = path.join(dist, 'lint-validators.cjs')
  if (!existsSync(file)) return undefined
  const require = createRequire(import.meta.url)
  // Loaded on first use, not here: lint starts helm first and reads the index while helm renders;
  // a kind's validators are loaded when an object of that kind is validated. An index that does
  // not load validates nothing (no sources).
  interface Meta {
    sources: string[]
    kinds: Record<string, string>
    exports: Record<string, string>
    dir: string
    cel?: Record<string, CelRule[]>
  }
  let meta: Meta | undefined
  const load = (): Meta => {
    if (meta) return meta
    try {
      meta = (require(file) as {meta: Meta}).meta
    } catch {
      meta = {sources: [], kinds: {}, exports: {}, dir: ''}
    }
    return meta
  }
  return {
    get sources() {
      return load().sources
    },
    get kinds() {
      return load().kinds
    },
    get cel() {
      return load().cel
    },
    compiled: (name) => {
      const {exports, dir} = load()
      const module = exports[name]
      if (!module) return undefined
      try {
        return (require(path.join(dist, dir, `${module}.cjs`)) as {validate: ValidateFunction}).validate
      } catch {
        // a module missing from the install: the definitions are compiled instead
        return undefined
      }
    },
    definitions: () => {
      try {
        return (JSON.parse(readFileSync(path.join(dist, 'lint-schemas.json'), 'utf8')) as {definitions: Record<string, unknown>}).definitions
      } catch {
        return undefined
      }
    },
  }
}

interface Prepared {
  rules: Rule[]
  kubernetesVersion: string
  schemas?: SchemaSet
  loaded: LoadedFiles
}

function prepare(input: LintInput): Prepared {
  const rules = selectRules(input.only, input.skip)
  const minor = parseMinor(input.kubernetesVersion ?? defaultKubernetesVersion)
  if (!minor)
    throw new CliError('usage', `--kubernetes-version "${input.kubernetesVersion}" is not a Kubernetes version`, {
      hint: `give a minor version such as ${defaultKubernetesVersion}`,
    })
  const schemas = rules.some((rule) => rule.id === 'schema') ? input.schemas : undefined
  const loaded = loadFiles(input.paths.length > 0 ? input.paths : ['.'])
  return {rules, kubernetesVersion: minor.join('.'), schemas, loaded}
}

function indexOf(input: LintInput, prepared: Prepared, rendered?: RenderOutcome): ObjectIndex {
  const {loaded, kubernetesVersion, schemas} = prepared
  return new ObjectIndex({
    documents: rendered ? [...loaded.documents, ...rendered.documents] : loaded.documents,
    fileProblems: loaded.fileProblems,
    templates: loaded.templates,
    suppressionComments: loaded.suppressionComments,
    imagePolicyMarkers: loaded.imagePolicyMarkers,
    kubernetesVersion,
    schemas,
    // Flux v2's paths are relative to the repository's root: known when one directory is linted.
    repositoryRoot: input.paths.length <= 1 && isDirectory(input.paths[0] ?? '.') ? (input.paths[0] ?? '.') : undefined,
    renderedReleases: rendered?.rendered,
    renderProblems: rendered?.problems,
  })
}

function finish(input: LintInput, prepared: Prepared, index: ObjectIndex, rendered?: RenderOutcome): LintResult {
  const {rules, loaded, kubernetesVersion, schemas} = prepared
  const {findings, suppressed} = runRules(index, rules, {lineSuppressions: loaded.lineSuppressions})
  const shown = findings.filter((finding) => atLeast(finding.severity, input.severity))
  return {
    findings: shown,
    summary: {
      files: loaded.files,
      templates: loaded.templates.length,
      objects: index.objects.length,
      renderedObjects: index.objects.filter((item) => item.rendered).length,
      errors: shown.filter((finding) => finding.severity === 'error').length,
      warnings: shown.filter((finding) => finding.severity === 'warning').length,
      suppressed,
      belowThreshold: findings.length - shown.length,
      schemas: schemas && schemas.sources.length > 0 ? schemas.sources : null,
      kubernetesVersion,
      rules: rules.map((rule) => rule.id),
    },
    ...(rendered ? {rendering: {...(rendered.helm ? {helm: rendered.helm} : {}), rendered: rendered.renderedReleases, skipped: rendered.skipped}} : {}),
  }
}

/** Lints a repository's files, without rendering charts: read-only (never writes a file), offline, synchronous. */
export function lintRepository(input: LintInput): LintResult {
  const prepared = prepare(input)
  return finish(input, prepared, indexOf(input, prepared))
}

/** Whether rule 9 renders: unless --skip-rule helm-render, or --rule names neither rule that needs it. */
function renders(rules: readonly Rule[]): boolean {
  return rules.some((rule) => rule.id === 'helm-render' || rule.id === 'flagger-target-rendered')
}

/** The directory chart paths are relative to: the first directory given (the repository's root). */
function repositoryRoot(paths: readonly string[]): string {
  const first = paths[0] ?? '.'
  return isDirectory(first) ? first : path.dirname(first)
}

/**
 * `elife-k8s lint`: the repository's files, plus (rule 9) the objects helm renders from the
 * HelmReleases' charts it can reach, through every rule. Read-only: never writes into the
 * repository; offline unless input.render.online.
 */
export const lintAction: ReadAction<LintInput, LintResult> = {
  async run(ctx, given) {
    let input = given
    if (given.fromCluster && selectRules(given.only, given.skip).some((rule) => rule.id === 'schema')) {
      const crds = await ctx.io
        .callApi(readCrdsAction, () => listClusterCrds(ctx.io.kube.kc))
        .catch((error: unknown) => {
          throw fromClusterError(error)
        })
      input = {...given, schemas: withClusterCrds(given.schemas, crds)}
    }
    const prepared = prepare(input)
    if (!input.render || !renders(prepared.rules)) return finish(input, prepared, indexOf(input, prepared))
    const files = indexOf(input, prepared)
    const rendered = await renderHelmReleases(files, {
      ...input.render,
      root: repositoryRoot(input.paths),
      kubernetesVersion: prepared.kubernetesVersion,
      // While the first helm processes run: load the schema validators the rules will need.
      whileRendering: () => void prepared.schemas?.kinds,
    })
    if (rendered.documents.length === 0 && rendered.problems.length === 0 && rendered.rendered.size === 0) return finish(input, prepared, files, rendered)
    return finish(input, prepared, indexOf(input, prepared, rendered), rendered)
  },
}
