import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import jsyaml from 'js-yaml'
import {isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node, type ParsedNode} from 'yaml'

import {CliError} from '../errors.js'
import type {FilePosition, FileProblem, ImagePolicyMarker, PathSegment, SourcedDocument, SuppressionComment, TemplateFile} from '../rules/types.js'

/**
 * Reads a GitOps repository the way Flux v1 does: every `.yaml`/`.yml` file under the given
 * paths, recursively (folders mean nothing to Flux; `.git` is not part of the tree, nor are
 * directories that look like Helm charts), each
 * document of each file, with the line and column it starts at. `*.yaml-template` files are not
 * applied by Flux (the runbook's way to keep a config next to the manifests) but are read as
 * templates for the rules that check them. A file that cannot be read or parsed is a problem to
 * report, not a failure.
 */
export interface LoadedFiles {
  documents: SourcedDocument[]
  fileProblems: FileProblem[]
  templates: TemplateFile[]
  suppressionComments: SuppressionComment[]
  /** Flux v2 image automation markers (`# {"$imagepolicy": "ns:name"}`). */
  imagePolicyMarkers: ImagePolicyMarker[]
  /** file -> line -> rule ids suppressed on that line. */
  lineSuppressions: Map<string, Map<number, Set<string>>>
  /** How many files Flux would apply (YAML files read). */
  files: number
}

const applied = /\.ya?ml$/
const template = /\.ya?ml-template$/

/** Flux v1's test for a chart directory (site/requirements.md: "its contents include Chart.yaml and values.yaml"). */
export function looksLikeChart(dir: string): boolean {
  return existsSync(path.join(dir, 'Chart.yaml')) && existsSync(path.join(dir, 'values.yaml'))
}

/** Lists the files under `root` (shown joined to `shown`), sorted, skipping `.git`. */
function walk(dir: string, shown: string, out: Array<{abs: string; shown: string}>): void {
  const entries = readdirSync(dir, {withFileTypes: true}).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const entry of entries) {
    const abs = path.join(dir, entry.name)
    const rel = path.join(shown, entry.name)
    let isDir = entry.isDirectory()
    let isFile = entry.isFile()
    if (entry.isSymbolicLink()) {
      // git checks out symlinks; follow those to files, not to directories (no loops). One
      // that leads nowhere is still a file Flux would try to read: reported when read.
      try {
        isFile = statSync(abs).isFile()
      } catch {
        isFile = true
      }
      isDir = false
    }
    if (isDir) {
      // Flux v1 skips a directory that looks like a Helm chart (Chart.yaml and values.yaml):
      // its templates are not manifests. HelmReleases render such charts (rule 9).
      if (entry.name !== '.git' && !looksLikeChart(abs)) walk(abs, rel, out)
    } else if (isFile && (applied.test(entry.name) || template.test(entry.name))) {
      out.push({abs, shown: rel})
    }
  }
}

/** The files the given paths name: a directory is walked, a file is taken as is. */
export function listFiles(paths: readonly string[]): Array<{abs: string; shown: string}> {
  const out: Array<{abs: string; shown: string}> = []
  for (const given of paths) {
    let stats
    try {
      stats = statSync(given)
    } catch (error) {
      const code = (error as {code?: string}).code ?? 'unreadable'
      throw new CliError('usage', `${given} cannot be read (${code})`, {hint: 'pass the path of the GitOps repository (or of files in it)'})
    }
    if (stats.isDirectory()) walk(given, given === '.' ? '' : given, out)
    else out.push({abs: given, shown: given})
  }
  return out
}

function positionOf(counter: LineCounter, file: string, offset: number): FilePosition {
  const {line, col} = counter.linePos(offset)
  return {file, line, col}
}

function keyOf(node: unknown): unknown {
  return isScalar(node) ? node.value : node
}

/** Where a path inside a document sits: the key of the last mapping entry found, or the list item. */
function locator(root: ParsedNode | null, counter: LineCounter, file: string, fallback: number): (path: readonly PathSegment[]) => FilePosition {
  return (segments) => {
    let node: Node | null | undefined = root
    let offset = fallback
    for (const segment of segments) {
      if (isMap(node)) {
        const pair = node.items.find((item) => String(keyOf(item.key)) === String(segment))
        if (!pair) break
        const keyRange = (pair.key as Node | null)?.range
        if (keyRange) offset = keyRange[0]
        node = pair.value as Node | null
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment] as Node | undefined
        if (!item?.range) break
        offset = item.range[0]
        node = item
      } else break
    }
    return positionOf(counter, file, offset)
  }
}

const ignorePattern = /(?:^|\s)#\s*elife-k8s:ignore\b(.*)$/

interface RawSuppression {
  comment: SuppressionComment
  /** The line it applies to: its own line (trailing comment) or the next line with content. */
  target: number
  ownLine: boolean
}

/** Finds `# elife-k8s:ignore rule-id[,rule-id] reason` comments and the line each applies to. */
function scanSuppressions(text: string, file: string): RawSuppression[] {
  if (!text.includes('elife-k8s:ignore')) return []
  const lines = text.split(/\r?\n/)
  const found: RawSuppression[] = []
  lines.forEach((line, index) => {
    const match = ignorePattern.exec(line)
    if (!match) return
    const [ruleList = '', ...reason] = match[1].trim().split(/\s+/)
    const ownLine = line.slice(0, match.index).trim() === ''
    let target = index + 1
    if (ownLine) {
      let next = index + 1
      while (next < lines.length && /^\s*(#.*)?$|^---\s*$|^---\s+#/.test(lines[next])) next++
      target = next + 1
    }
    const col = line.indexOf('#') + 1
    found.push({comment: {position: {file, line: index + 1, col}, rules: ruleList.split(',').filter(Boolean), reason: reason.join(' ')}, target, ownLine})
  })
  return found
}

function firstLine(message: string): string {
  return message.split('\n')[0]
}

interface DocumentPositions {
  start: FilePosition
  locate: (path: readonly PathSegment[]) => FilePosition
}

/** Positions of the non-empty documents of a file, from `yaml`'s syntax tree (slow; only when asked). */
function documentPositions(text: string, file: string): DocumentPositions[] {
  const counter = new LineCounter()
  const positions: DocumentPositions[] = []
  for (const doc of parseAllDocuments(text, {lineCounter: counter, uniqueKeys: true, prettyErrors: false})) {
    const contents = doc.contents
    if (contents === null || (isScalar(contents) && contents.value === null)) continue
    const start = contents.range[0]
    positions.push({start: positionOf(counter, file, start), locate: locator(contents, counter, file, start)})
  }
  return positions
}

/**
 * A document read by the fast parser: its value now, its positions when a finding needs them
 * (then the file is parsed once more, with positions, by `yaml`).
 */
class LazyDocument implements SourcedDocument {
  constructor(
    readonly value: unknown,
    private readonly positions: () => DocumentPositions[],
    private readonly index: number,
    /** The file, known without parsing it for positions. */
    readonly file: string,
  ) {}

  get source(): FilePosition {
    return this.positions()[this.index]?.start ?? {file: this.file, line: 1, col: 1}
  }

  locate = (path: readonly PathSegment[]): FilePosition => this.positions()[this.index]?.locate(path) ?? this.source
}

/**
 * Flattens the long strings of a parsed document, in place (the values stay the same). js-yaml
 * builds a block scalar (a dashboard's JSON, a values file) line by line: one concatenation per
 * line, each holding a slice of the file's text, so a dashboard's 100 KB string costs ~4x that on
 * the heap, and keeps the whole file's text, for as long as the document lives. Asking for its
 * number value makes V8 copy the string into one flat string at once, and the chain dies young
 * (10 MB less on the heap for the bench's 2.6 MB of dashboards). Objects that YAML aliases share
 * are visited once.
 */
export function flattenStrings(value: unknown, seen: Set<object> = new Set()): void {
  if (typeof value === 'string') {
    // For its side effect only: V8 flattens the string to read it as a number.
    if (value.length > 64) Number(value)
    return
  }
  if (typeof value !== 'object' || value === null || seen.has(value)) return
  seen.add(value)
  if (Array.isArray(value)) for (const item of value) flattenStrings(item, seen)
  else for (const key in value) flattenStrings((value as Record<string, unknown>)[key], seen)
}

/**
 * The fast way through a file: js-yaml (core schema, duplicate keys refused) reads a file about
 * six times faster than \`yaml\`, which builds a syntax tree with positions; a clean repository
 * needs no positions at all. Returns false when the file needs the precise way (it does not
 * parse, or it holds suppression comments, which need positions up front).
 */
function readFast(text: string, file: string, out: LoadedFiles): boolean {
  const values: unknown[] = []
  try {
    jsyaml.loadAll(text, (value) => values.push(value), {schema: jsyaml.CORE_SCHEMA})
  } catch {
    return false
  }
  const seen = new Set<object>()
  for (const value of values) flattenStrings(value, seen)
  let positions: DocumentPositions[] | undefined
  const lazy = () => (positions ??= documentPositions(text, file))
  let index = 0
  for (const value of values) {
    if (value === null || value === undefined) continue // an empty document: kubectl skips it too
    out.documents.push(new LazyDocument(value, lazy, index++, file))
  }
  return true
}

/** Reads one YAML file into documents (with positions), problems and suppressions. */
const markerPattern = /#\s*\{\s*"\$imagepolicy"\s*:\s*"([^"]*)"\s*\}/g

/** Finds Flux v2's image automation markers, which live in comments (so no YAML parser sees them). */
function scanImagePolicyMarkers(text: string, file: string, out: ImagePolicyMarker[]): void {
  if (!text.includes('$imagepolicy')) return
  text.split(/\r?\n/).forEach((line, index) => {
    for (const match of line.matchAll(markerPattern)) out.push({position: {file, line: index + 1, col: (match.index ?? 0) + 1}, reference: match[1]})
  })
}

export function readYamlFile(text: string, file: string, out: LoadedFiles, options: {precise?: boolean} = {}): void {
  scanImagePolicyMarkers(text, file, out.imagePolicyMarkers)
  const suppressions = scanSuppressions(text, file)
  if (!options.precise && suppressions.length === 0 && readFast(text, file, out)) return
  const counter = new LineCounter()
  const documents = parseAllDocuments(text, {lineCounter: counter, uniqueKeys: true, prettyErrors: false})
  const docStarts = new Map<number, SourcedDocument>()
  for (const doc of documents) {
    if (doc.errors.length > 0) {
      // The message only, never the quoted source: the file may hold secrets.
      for (const error of doc.errors)
        out.fileProblems.push({position: positionOf(counter, file, error.pos[0]), message: `YAML does not parse: ${firstLine(error.message)}`})
      continue
    }
    const contents = doc.contents
    if (contents === null || (isScalar(contents) && contents.value === null)) continue // an empty document: kubectl skips it too
    let value: unknown
    try {
      value = doc.toJS({maxAliasCount: 1000})
    } catch (error) {
      out.fileProblems.push({position: positionOf(counter, file, contents.range[0]), message: `YAML does not parse: ${firstLine((error as Error).message)}`})
      continue
    }
    const start = contents.range[0]
    const source = positionOf(counter, file, start)
    const document: SourcedDocument = {value, source, locate: locator(contents, counter, file, start)}
    docStarts.set(source.line, document)
    out.documents.push(document)
  }
  if (suppressions.length === 0) return
  let lines = out.lineSuppressions.get(file)
  if (!lines) out.lineSuppressions.set(file, (lines = new Map()))
  for (const {comment, target, ownLine} of suppressions) {
    out.suppressionComments.push(comment)
    if (comment.rules.length === 0 || comment.reason === '') continue // not honoured; the ignore-comment rule says why
    const set = lines.get(target) ?? new Set()
    for (const rule of comment.rules) set.add(rule)
    lines.set(target, set)
    const document = ownLine ? docStarts.get(target) : undefined
    if (document) document.suppressed = new Set([...(document.suppressed ?? []), ...comment.rules])
  }
}

/** Reads every file Flux would apply under `paths` (and the templates beside them). Never writes. */
export function loadFiles(paths: readonly string[]): LoadedFiles {
  const out: LoadedFiles = {
    documents: [],
    fileProblems: [],
    templates: [],
    suppressionComments: [],
    imagePolicyMarkers: [],
    lineSuppressions: new Map(),
    files: 0,
  }
  for (const {abs, shown} of listFiles(paths)) {
    let text: string
    try {
      text = readFileSync(abs, 'utf8')
    } catch (error) {
      out.fileProblems.push({position: {file: shown, line: 1, col: 1}, message: `cannot be read (${(error as {code?: string}).code ?? 'unreadable'})`})
      continue
    }
    if (template.test(shown)) {
      out.templates.push({file: shown, text})
      continue
    }
    out.files++
    readYamlFile(text, shown, out)
  }
  return out
}
