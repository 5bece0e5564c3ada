import path from 'node:path'
import {pathToFileURL} from 'node:url'

import type {ChalkInstance} from 'chalk'

import {plural} from '../render/number.js'
import type {ResolvedFinding, Rule} from '../rules/types.js'
import type {LintRendering, LintSummary} from './lint.js'

// The renderers of findings: text for a terminal, SARIF for GitHub code scanning, workflow
// commands for GitHub annotations. JSON is the LintResult itself (the command's return value).

function location(finding: ResolvedFinding): string {
  if (finding.file) return `${finding.file}:${finding.line ?? 1}:${finding.column ?? 1}`
  return finding.cluster ? `cluster ${finding.cluster}` : '-'
}

/** `path:line:col  severity  rule-id  message`, a hint line under each, a blank line between files. */
export function renderText(findings: readonly ResolvedFinding[], chalk: ChalkInstance): string[] {
  const lines: string[] = []
  let file: string | undefined
  for (const finding of findings) {
    if (lines.length > 0 && finding.file !== file) lines.push('')
    file = finding.file
    const severity = finding.severity === 'error' ? chalk.red('error  ') : chalk.yellow('warning')
    lines.push(`${location(finding)}  ${severity}  ${chalk.bold(finding.rule)}  ${finding.message}`, chalk.dim(`    hint: ${finding.hint}`))
  }
  return lines
}

/**
 * The one line (stderr) about HelmReleases that were not rendered: how many, which (the first
 * few), why in the commonest case; --json has them all with their reasons.
 */
export function renderingLine(rendering: LintRendering | undefined): string | undefined {
  if (!rendering || rendering.skipped.length === 0) return undefined
  const {skipped} = rendering
  const shown = skipped.slice(0, 3).map((release) => release.helmRelease)
  const more = skipped.length > shown.length ? ` and ${skipped.length - shown.length} more` : ''
  const offline = skipped.filter((release) => release.reason.includes('--online')).length
  const noHelm = skipped.find((release) => release.reason.startsWith('helm is not available'))
  const why = noHelm
    ? `${noHelm.reason.replace(/^helm is not available \((.*)\)$/, '$1')}: point --helm-binary (or ELIFE_K8S_HELM) at helm 3 to render them`
    : offline === skipped.length
      ? "their charts are not in this repository nor in helm's cache (--online fetches them)"
      : offline > 0
        ? `${offline} with charts not reachable offline (--online fetches them); --json says why for each`
        : '--json says why for each'
  const rendered = rendering.rendered.length > 0 ? `rendered ${plural(rendering.rendered.length, 'HelmRelease')}; ` : ''
  return `${rendered}not rendered: ${plural(skipped.length, 'HelmRelease')} (${shown.join(', ')}${more}): ${why}`
}

/** The closing line (stderr): what was checked and what was found. */
export function summaryLine(summary: LintSummary): string {
  const checked = `${plural(summary.files, 'file')}, ${plural(summary.objects, 'object')}${summary.renderedObjects > 0 ? ` (${summary.renderedObjects} rendered by helm)` : ''}${summary.templates > 0 ? `, ${plural(summary.templates, 'template')}` : ''}`
  const extra = [
    summary.suppressed > 0 ? `${summary.suppressed} suppressed` : '',
    summary.belowThreshold > 0 ? `${summary.belowThreshold} below --severity` : '',
  ]
    .filter(Boolean)
    .join(', ')
  const tail = extra ? `; ${extra}` : ''
  if (summary.errors === 0 && summary.warnings === 0) return `no problems in ${checked}${tail}`
  return `${plural(summary.errors, 'error')}, ${plural(summary.warnings, 'warning')} in ${checked}${tail}`
}

function sarifUri(file: string): string {
  if (path.isAbsolute(file)) return pathToFileURL(file).href
  return file.split(path.sep).map(encodeURIComponent).join('/')
}

/** SARIF 2.1.0, one run, with every rule that ran described (GitHub code scanning reads this). */
export function renderSarif(findings: readonly ResolvedFinding[], rules: readonly Rule[], version: string): unknown {
  const ruleIndex = new Map(rules.map((rule, i) => [rule.id, i]))
  return {
    $schema: 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'elife-k8s lint',
            version,
            rules: rules.map((rule) => ({
              id: rule.id,
              name: rule.id,
              shortDescription: {text: rule.summary},
              help: {text: rule.hint},
              defaultConfiguration: {level: rule.severity},
              properties: {group: rule.group},
            })),
          },
        },
        results: findings.map((finding) => ({
          ruleId: finding.rule,
          ...(ruleIndex.has(finding.rule) ? {ruleIndex: ruleIndex.get(finding.rule)} : {}),
          level: finding.severity,
          message: {text: `${finding.message} (${finding.hint})`},
          locations: finding.file
            ? [{physicalLocation: {artifactLocation: {uri: sarifUri(finding.file)}, region: {startLine: finding.line ?? 1, startColumn: finding.column ?? 1}}}]
            : [],
        })),
      },
    ],
  }
}

function escapeData(text: string): string {
  return text.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A')
}

function escapeProperty(text: string): string {
  return escapeData(text).replaceAll(':', '%3A').replaceAll(',', '%2C')
}

/** GitHub Actions workflow commands: one `::error file=…,line=…,col=…,title=…::message` per finding. */
export function renderGithub(findings: readonly ResolvedFinding[]): string[] {
  return findings.map((finding) => {
    const properties = [
      finding.file ? `file=${escapeProperty(finding.file)}` : '',
      finding.line ? `line=${finding.line}` : '',
      finding.column ? `col=${finding.column}` : '',
      `title=${escapeProperty(finding.rule)}`,
    ]
    return `::${finding.severity} ${properties.filter(Boolean).join(',')}::${escapeData(`${finding.message} (${finding.hint})`)}`
  })
}
