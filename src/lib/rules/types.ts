/**
 * The shapes the rule engine works on. Nothing here knows where objects come from: `lint` fills
 * the index from the repository's files (with positions), `doctor` from the API (source
 * {cluster}); rules only see an ObjectIndex and report findings.
 */

export type Severity = 'error' | 'warning'

/** A segment of a path inside an object: a mapping key or a list index. */
export type PathSegment = string | number

export interface FilePosition {
  file: string
  /** 1-based. */
  line: number
  /** 1-based. */
  col: number
}

export type ObjectSource = FilePosition | {cluster: string}

export function isFileSource(source: ObjectSource | undefined): source is FilePosition {
  return source !== undefined && 'file' in source
}

/**
 * The file a document was read from, if any, without its line: `source` of a document read by the
 * fast parser parses the file again for positions, which a rule that only needs the file (or a
 * run without findings) should not pay for.
 */
export function fileOf(document: SourcedDocument): string | undefined {
  if (document.file !== undefined) return document.file
  const source = document.source
  return isFileSource(source) ? source.file : undefined
}

export interface KubeMetadata {
  name: string
  namespace?: string
  labels?: Record<string, unknown>
  annotations?: Record<string, unknown>
  [key: string]: unknown
}

/** A document that has the shape of a Kubernetes object (apiVersion, kind, metadata.name). */
export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: KubeMetadata
  [key: string]: unknown
}

/** Anything a source read: a Kubernetes object or not (a stray values file, a list, a scalar). */
export interface SourcedDocument {
  value: unknown
  source: ObjectSource
  /** The file (file sources), where known without computing `source`'s position (fileOf). */
  file?: string
  /** Where a path inside the document sits (file sources); the nearest existing ancestor if the path is missing. */
  locate?: (path: readonly PathSegment[]) => FilePosition
  /** Rule ids suppressed for this whole object (`# elife-k8s:ignore rule-id reason` at its top). */
  suppressed?: ReadonlySet<string>
  /** Set on objects that helm rendered from a HelmRelease's chart (rule 9); `source` is then the HelmRelease's. */
  rendered?: RenderedFrom
}

/** Where a rendered object came from: the HelmRelease (namespace/name) and the chart template helm names. */
export interface RenderedFrom {
  helmRelease: string
  /** As helm's `# Source:` line names it, e.g. "journal/templates/deployment.yaml". */
  template: string
}

export interface SourcedObject extends SourcedDocument {
  object: KubeObject
}

/** A file that could not be read or parsed (file sources only). */
export interface FileProblem {
  position: FilePosition
  /** One line; never quotes the file's content (it may hold secrets). */
  message: string
}

/** A file Flux does not apply but lint checks (the runbook's `alertmanager-secret.yaml-template`). */
export interface TemplateFile {
  file: string
  text: string
}

/** A `# elife-k8s:ignore rule-id[,rule-id...] reason` comment, as written. */
export interface SuppressionComment {
  position: FilePosition
  rules: string[]
  reason: string
}

/** A Flux v2 image automation setter marker, `# {"$imagepolicy": "<namespace>:<name>[:tag|:name|:digest]"}`. */
export interface ImagePolicyMarker {
  position: FilePosition
  /** As written between the quotes. */
  reference: string
}

/** What a rule reports: on an object (at a path inside it) or at a position in a file. */
export interface Finding {
  message: string
  /** Overrides the rule's hint for this finding. */
  hint?: string
  on?: SourcedDocument
  /** Path inside `on` that the finding is about, e.g. ['spec', 'analysis', 'metrics', 0, 'interval']. */
  path?: readonly PathSegment[]
  /** For findings that are not about an object (a file that does not parse). */
  at?: FilePosition
}

export interface Rule {
  /** 'flagger-metric-interval' */
  id: string
  severity: Severity
  /** One line for --help and docs/lint-rules.md. */
  summary: string
  /** What to do about a finding, unless the finding says better. */
  hint: string
  /** Which issue-17 group it belongs to (for docs). */
  group: string
  check(index: import('./object-index.js').ObjectIndex, report: (finding: Finding) => void): void
}

/** A finding with its rule and resolved position: what renderers and --json show. */
export interface ResolvedFinding {
  rule: string
  severity: Severity
  message: string
  hint: string
  file?: string
  line?: number
  column?: number
  cluster?: string
  object?: {apiVersion: string; kind: string; namespace?: string; name: string}
  /** For an object helm rendered: the HelmRelease and chart template (file/line are the HelmRelease's). */
  rendered?: RenderedFrom
}
