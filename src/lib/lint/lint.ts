import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import type {ValidateFunction} from 'ajv'

import {CliError} from '../errors.js'
import {defaultKubernetesVersion, parseMinor} from '../rules/deprecations.js'
import {atLeast, runRules} from '../rules/engine.js'
import {ObjectIndex} from '../rules/object-index.js'
import {lintRules} from '../rules/registry.js'
import type {SchemaSet} from '../rules/schema.js'
import type {ResolvedFinding, Rule, Severity} from '../rules/types.js'
import {loadFiles} from '../sources/files.js'

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
}

export interface LintSummary {
  /** YAML files Flux would apply. */
  files: number
  /** Templates (`*.yaml-template`) read beside them. */
  templates: number
  /** Kubernetes objects read. */
  objects: number
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

export interface LintResult {
  findings: ResolvedFinding[]
  summary: LintSummary
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
 * The schemas built into dist/ by scripts/lint-schemas.ts: lint-validators.cjs (validators
 * ajv generated at build time) and lint-schemas.json (the definitions, read only for CRDs found
 * in the repository). Undefined when the build could not make them.
 */
export function bundledSchemas(): SchemaSet | undefined {
  const root = packageRoot()
  if (!root) return undefined
  const dist = path.join(root, 'dist')
  let validators: Record<string, ValidateFunction> & {meta: {sources: string[]; kinds: Record<string, string>; exports: Record<string, string>}}
  try {
    validators = createRequire(import.meta.url)(path.join(dist, 'lint-validators.cjs')) as typeof validators
  } catch {
    return undefined
  }
  const {meta} = validators
  return {
    sources: meta.sources,
    kinds: meta.kinds,
    compiled: (name) => validators[meta.exports[name]],
    definitions: () => {
      try {
        return (JSON.parse(readFileSync(path.join(dist, 'lint-schemas.json'), 'utf8')) as {definitions: Record<string, unknown>}).definitions
      } catch {
        return undefined
      }
    },
  }
}

/** Lints a repository: read-only (never writes a file), offline. */
export function lintRepository(input: LintInput): LintResult {
  const rules = selectRules(input.only, input.skip)
  const minor = parseMinor(input.kubernetesVersion ?? defaultKubernetesVersion)
  if (!minor) throw new CliError('usage', `--kubernetes-version "${input.kubernetesVersion}" is not a Kubernetes version`, {hint: `give a minor version such as ${defaultKubernetesVersion}`})
  const kubernetesVersion = minor.join('.')
  const schemas = rules.some((rule) => rule.id === 'schema') ? input.schemas : undefined
  const loaded = loadFiles(input.paths.length > 0 ? input.paths : ['.'])
  const index = new ObjectIndex({documents: loaded.documents, fileProblems: loaded.fileProblems, templates: loaded.templates, suppressionComments: loaded.suppressionComments, imagePolicyMarkers: loaded.imagePolicyMarkers, kubernetesVersion, schemas})
  const {findings, suppressed} = runRules(index, rules, {lineSuppressions: loaded.lineSuppressions})
  const shown = findings.filter((finding) => atLeast(finding.severity, input.severity))
  return {
    findings: shown,
    summary: {
      files: loaded.files,
      templates: loaded.templates.length,
      objects: index.objects.length,
      errors: shown.filter((finding) => finding.severity === 'error').length,
      warnings: shown.filter((finding) => finding.severity === 'warning').length,
      suppressed,
      belowThreshold: findings.length - shown.length,
      schemas: schemas?.sources ?? null,
      kubernetesVersion,
      rules: rules.map((rule) => rule.id),
    },
  }
}
