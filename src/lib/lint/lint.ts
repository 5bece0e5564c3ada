import {CliError} from '../errors.js'
import {defaultKubernetesVersion, parseMinor} from '../rules/deprecations.js'
import {atLeast, runRules} from '../rules/engine.js'
import {ObjectIndex} from '../rules/object-index.js'
import {lintRules} from '../rules/registry.js'
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

/** Lints a repository: read-only (never writes a file), offline. */
export function lintRepository(input: LintInput): LintResult {
  const rules = selectRules(input.only, input.skip)
  const minor = parseMinor(input.kubernetesVersion ?? defaultKubernetesVersion)
  if (!minor) throw new CliError('usage', `--kubernetes-version "${input.kubernetesVersion}" is not a Kubernetes version`, {hint: `give a minor version such as ${defaultKubernetesVersion}`})
  const kubernetesVersion = minor.join('.')
  const loaded = loadFiles(input.paths.length > 0 ? input.paths : ['.'])
  const index = new ObjectIndex({documents: loaded.documents, fileProblems: loaded.fileProblems, templates: loaded.templates, suppressionComments: loaded.suppressionComments, kubernetesVersion})
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
      kubernetesVersion,
      rules: rules.map((rule) => rule.id),
    },
  }
}
