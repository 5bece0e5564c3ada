import {isKubeObject} from './kube.js'
import type {ObjectIndex} from './object-index.js'
import {isFileSource, type FilePosition, type Finding, type ResolvedFinding, type Rule, type Severity} from './types.js'

/** Per file, per line: the rule ids a `# elife-k8s:ignore rule-id reason` comment suppresses there. */
export type LineSuppressions = ReadonlyMap<string, ReadonlyMap<number, ReadonlySet<string>>>

export interface RunOptions {
  lineSuppressions?: LineSuppressions
}

export interface RunResult {
  findings: ResolvedFinding[]
  /** How many findings a suppression comment (or object annotation) silenced. */
  suppressed: number
}

const severityOrder: Record<Severity, number> = {error: 0, warning: 1}

/** Whether a finding of this severity is shown under a `--severity` threshold. */
export function atLeast(severity: Severity, threshold: Severity): boolean {
  return severityOrder[severity] <= severityOrder[threshold]
}

function resolve(rule: Rule, finding: Finding): ResolvedFinding {
  const resolved: ResolvedFinding = {rule: rule.id, severity: rule.severity, message: finding.message, hint: finding.hint ?? rule.hint}
  let position: FilePosition | undefined = finding.at
  const on = finding.on
  if (!position && on) {
    if (isFileSource(on.source)) position = finding.path && on.locate ? on.locate(finding.path) : on.source
    else resolved.cluster = on.source.cluster
  }
  if (position) Object.assign(resolved, {file: position.file, line: position.line, column: position.col})
  if (on && isKubeObject(on.value)) {
    const {apiVersion, kind, metadata} = on.value
    resolved.object = {apiVersion, kind, ...(typeof metadata.namespace === 'string' ? {namespace: metadata.namespace} : {}), name: metadata.name}
  }
  if (on?.rendered) {
    // The position is the HelmRelease's: say which template of its chart the object came from.
    resolved.rendered = on.rendered
    resolved.message = `${resolved.message} (rendered by helm from ${on.rendered.template} of HelmRelease ${on.rendered.helmRelease})`
  }
  return resolved
}

/**
 * Runs every rule over the index and returns what they found, with positions resolved and
 * suppressions applied, in file order. A rule that throws (a bug) becomes one finding of its own
 * rather than hiding what the others found.
 */
export function runRules(index: ObjectIndex, rules: readonly Rule[], options: RunOptions = {}): RunResult {
  const findings: ResolvedFinding[] = []
  let suppressed = 0
  for (const rule of rules) {
    const report = (finding: Finding): void => {
      const resolved = resolve(rule, finding)
      const lineRules = resolved.file && resolved.line ? options.lineSuppressions?.get(resolved.file)?.get(resolved.line) : undefined
      if (finding.on?.suppressed?.has(rule.id) || lineRules?.has(rule.id)) suppressed++
      else findings.push(resolved)
    }
    try {
      rule.check(index, report)
    } catch (error) {
      findings.push({
        rule: rule.id,
        severity: 'error',
        message: `the rule failed: ${(error as Error).message}`,
        hint: 'this is a bug in elife-k8s; please report it (rerun with --skip-rule to go on)',
      })
    }
  }
  findings.sort(compareFindings)
  return {findings, suppressed}
}

export function compareFindings(a: ResolvedFinding, b: ResolvedFinding): number {
  const fileA = a.file ?? '\uffff'
  const fileB = b.file ?? '\uffff'
  if (fileA !== fileB) return fileA < fileB ? -1 : 1
  return (
    (a.line ?? 0) - (b.line ?? 0) ||
    (a.column ?? 0) - (b.column ?? 0) ||
    (a.rule === b.rule ? 0 : a.rule < b.rule ? -1 : 1) ||
    (a.message === b.message ? 0 : a.message < b.message ? -1 : 1)
  )
}
