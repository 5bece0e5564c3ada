import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {availableParallelism, homedir, tmpdir} from 'node:os'
import path from 'node:path'

import jsyaml from 'js-yaml'
import {stringify as stringifyYaml} from 'yaml'

import {checkpoint} from '../cli/interrupt.js'
import type {HelmTool} from '../helm/binary.js'
import {managedRelease} from '../helm/owner-names.js'
import {mergeValues} from '../helm/values.js'
import {asList, asObj, asString, groupOf, isBuiltinClusterScoped, isKubeObject, type Obj} from '../rules/kube.js'
import type {ObjectIndex} from '../rules/object-index.js'
import {fileOf, type FilePosition, type PathSegment, type SourcedDocument, type SourcedObject} from '../rules/types.js'

// Issue 17, rule 9: HelmRelease rendering. For each HelmRelease whose chart can be reached
// offline (a chart directory in this repository, or a chart in helm's own download cache; other
// repositories and chart repositories only with --online), the real helm renders the chart with
// the release's values (spec.values and valuesFrom sources found in the repository, given to helm
// on its stdin, never printed) and the rendered objects join the repository's objects, so every
// rule checks them too. A chart that cannot be reached is reported as skipped, never silently.

export interface RenderOptions {
  /** Finds helm (resolveHelm with --helm-binary / ELIFE_K8S_HELM / PATH); asked only when a chart is to be rendered. */
  helm: () => Promise<HelmTool>
  /** Fetch charts from other Git repositories and from chart repositories (--online). */
  online: boolean
  /** The repository's root directory: in-repository chart paths are relative to it. */
  root: string
  /** The Kubernetes minor to render for (helm's --kube-version). */
  kubernetesVersion: string
  env?: NodeJS.ProcessEnv
  /** helm processes at once (default: renderConcurrency()). */
  concurrency?: number
  /** Called once the first helm processes have started (lint loads its schema validators then). */
  whileRendering?: () => void
  /** git for --online (an argument array, never a shell string). */
  git?: (args: string[], cwd?: string) => Promise<{exitCode: number; stderr: string; stdout?: string}>
}

/** A finding of rule helm-render: helm could not render a chart that it could reach. */
export interface RenderProblem {
  on: SourcedDocument
  path?: readonly PathSegment[]
  message: string
}

export interface ReleaseNote {
  /** namespace/name of the HelmRelease. */
  helmRelease: string
  /** The file it is in. */
  file?: string
}

/** One object helm rendered (names only: never a value). */
export interface RenderedObject {
  apiVersion: string
  kind: string
  namespace?: string
  name: string
  template: string
}

export interface RenderOutcome {
  /** The rendered objects (and documents), each with the HelmRelease's position and its template. */
  documents: SourcedDocument[]
  problems: RenderProblem[]
  /** The HelmRelease documents whose charts were rendered. */
  rendered: Set<SourcedDocument>
  renderedReleases: Array<ReleaseNote & {chart: string; objects: RenderedObject[]}>
  /** Releases whose chart could not be reached (offline) or read: why, in words (never a value). */
  skipped: Array<ReleaseNote & {reason: string}>
  /** helm's version, when it ran. */
  helm?: string
}

type ChartLocation =
  | {kind: 'dir'; dir: string; shown: string}
  | {kind: 'archive'; file: string; shown: string}
  | {kind: 'repository'; url: string; name: string; version?: string; shown: string}
  | {kind: 'git'; url: string; ref: string; path: string; shown: string}
  | {kind: 'problem'; message: string; path: PathSegment[]}
  | {kind: 'skip'; reason: string}

/** A Git URL without scheme, user, `.git` and case of the host: ssh, https and scp-like forms compare equal. */
export function normalizeGitUrl(url: string): string {
  let rest = url.trim()
  const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/)(.*)$/.exec(rest)
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(rest)) rest = `${scp[1]}/${scp[2]}`
  else rest = rest.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/^[^@/]*@/, '')
  rest = rest
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '')
  const slash = rest.indexOf('/')
  const host = (slash === -1 ? rest : rest.slice(0, slash)).replace(/:\d+$/, '').toLowerCase()
  return slash === -1 ? host : `${host}${rest.slice(slash)}`
}

/**
 * The URLs this repository goes by: its git remotes, the GitRepository sources the repository's
 * own Flux v2 Kustomizations read (Flux applies these files from there), and fluxd's git.url
 * (Flux v1's chart values).
 */
async function selfUrls(index: ObjectIndex, root: string, git: NonNullable<RenderOptions['git']> | undefined): Promise<Set<string>> {
  const urls = new Set<string>()
  for (const kustomization of index.ofKind('Kustomization', ['kustomize.toolkit.fluxcd.io'])) {
    const ref = asObj(asObj(kustomization.object.spec).sourceRef)
    if ((asString(ref.kind) ?? 'GitRepository') !== 'GitRepository' || !asString(ref.name)) continue
    const namespace = asString(ref.namespace) ?? index.namespaceOf(kustomization.object)
    for (const source of index.find('GitRepository', namespace, asString(ref.name)!, ['source.toolkit.fluxcd.io'])) {
      const url = asString(asObj(source.object.spec).url)
      if (url) urls.add(normalizeGitUrl(url))
    }
  }
  for (const release of index.helmReleases()) {
    if (index.chartName(release.object) !== 'flux') continue
    const url = asString(asObj(asObj(asObj(release.object.spec).values).git).url)
    if (url) urls.add(normalizeGitUrl(url))
  }
  // Only a checkout has remotes (and a repository without one costs no git process).
  if (!existsSync(path.join(root, '.git'))) return urls
  try {
    const run = git ?? defaultGit
    const out = await run(['-C', root, 'config', '--get-regexp', '^remote\\..*\\.url$'])
    for (const line of out.stdout?.split('\n') ?? []) {
      const url = line.trim().split(/\s+/)[1]
      if (url) urls.add(normalizeGitUrl(url))
    }
  } catch {
    // not a git checkout, or no git: the objects above are all we know
  }
  return urls
}

const defaultGit = async (args: string[], cwd?: string): Promise<{exitCode: number; stderr: string; stdout: string}> => {
  // Loaded when a chart is fetched, not on every lint.
  const {execa} = await import('execa')
  const result = await execa('git', args, {cwd, reject: false, stdin: 'ignore', env: {GIT_TERMINAL_PROMPT: '0'}})
  return {exitCode: result.exitCode ?? 1, stderr: String(result.stderr ?? ''), stdout: String(result.stdout ?? '')}
}

/** helm's download cache (where `helm pull`/`helm install --repo` keep chart archives). */
function helmRepositoryCache(env: NodeJS.ProcessEnv): string {
  if (env.HELM_REPOSITORY_CACHE) return env.HELM_REPOSITORY_CACHE
  if (env.HELM_CACHE_HOME) return path.join(env.HELM_CACHE_HOME, 'repository')
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, 'helm', 'repository')
  if (process.platform === 'darwin') return path.join(homedir(), 'Library', 'Caches', 'helm', 'repository')
  return path.join(homedir(), '.cache', 'helm', 'repository')
}

/** helm's words when a chart repository cannot be reached at all (rather than lacking the chart). */
const unreachable = /cannot be reached|no such host|connection refused|i\/o timeout|network is unreachable|TLS handshake timeout|Client\.Timeout/

const exactVersion = /^v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$/

/** A chart directory inside the repository, or why not. */
function inRepository(root: string, chartPath: string, where: PathSegment[]): ChartLocation {
  const dir = path.resolve(root, chartPath)
  const relative = path.relative(path.resolve(root), dir)
  if (relative.startsWith('..') || path.isAbsolute(relative))
    return {kind: 'problem', message: `the chart path ${chartPath} points outside the repository`, path: where}
  if (!existsSync(path.join(dir, 'Chart.yaml')))
    return {kind: 'problem', message: `the chart is this repository's ${chartPath}, but there is no Chart.yaml there`, path: where}
  return {kind: 'dir', dir, shown: relative === '' ? '.' : relative}
}

function fromRepository(url: string, name: string, version: string | undefined, cache: string): ChartLocation {
  const archive = version && exactVersion.test(version) ? path.join(cache, `${name}-${version.replace(/^v/, '')}.tgz`) : undefined
  if (archive && existsSync(archive)) return {kind: 'archive', file: archive, shown: `${name} ${version} (helm's cache)`}
  return {kind: 'repository', url, name, version, shown: `${name}${version ? ` ${version}` : ''} from ${url}`}
}

function locateChart(index: ObjectIndex, release: SourcedObject, self: ReadonlySet<string>, root: string, cache: string): ChartLocation {
  const spec = asObj(release.object.spec)
  const chart = asObj(spec.chart)
  if (groupOf(release.object.apiVersion) === 'helm.fluxcd.io') {
    const git = asString(chart.git)
    const chartPath = asString(chart.path)
    if (git && chartPath) {
      if (self.has(normalizeGitUrl(git))) return inRepository(root, chartPath, ['spec', 'chart', 'path'])
      return {kind: 'git', url: git, ref: asString(chart.ref) ?? 'master', path: chartPath, shown: `${chartPath} of ${git}`}
    }
    const repository = asString(chart.repository)
    const name = asString(chart.name)
    if (repository && name) return fromRepository(repository, name, asString(chart.version), cache)
    return {kind: 'skip', reason: 'spec.chart names neither git + path nor repository + name'}
  }
  if (spec.chartRef !== undefined) return {kind: 'skip', reason: 'spec.chartRef (OCIRepository/HelmChart) charts are not rendered by lint'}
  const chartSpec = asObj(chart.spec)
  const chartName = asString(chartSpec.chart)
  const ref = asObj(chartSpec.sourceRef)
  const kind = asString(ref.kind)
  const name = asString(ref.name)
  if (!chartName || !kind || !name) return {kind: 'skip', reason: 'spec.chart.spec has no chart or sourceRef'}
  const namespace = asString(ref.namespace) ?? index.namespaceOf(release.object)
  const sources = index.find(kind, namespace, name, ['source.toolkit.fluxcd.io'])
  if (sources.length === 0) return {kind: 'skip', reason: `its source ${kind} ${namespace}/${name} is not in the repository`}
  const sourceSpec = asObj(sources[0].object.spec)
  const url = asString(sourceSpec.url)
  if (!url) return {kind: 'skip', reason: `its source ${kind} ${namespace}/${name} has no spec.url`}
  if (kind === 'GitRepository') {
    if (self.has(normalizeGitUrl(url))) return inRepository(root, chartName, ['spec', 'chart', 'spec', 'chart'])
    const gitRef = asObj(sourceSpec.ref)
    return {
      kind: 'git',
      url,
      ref: asString(gitRef.commit) ?? asString(gitRef.tag) ?? asString(gitRef.name) ?? asString(gitRef.branch) ?? 'master',
      path: chartName,
      shown: `${chartName} of ${url}`,
    }
  }
  if (kind === 'HelmRepository') {
    if (asString(sourceSpec.type) === 'oci' || url.startsWith('oci://')) {
      const version = asString(chartSpec.version)
      return {
        kind: 'repository',
        url: `${url.replace(/\/+$/, '')}/${chartName}`,
        name: chartName,
        version: version === '*' ? undefined : version,
        shown: `${chartName} from ${url}`,
      }
    }
    const version = asString(chartSpec.version)
    return fromRepository(url, chartName, version === '*' ? undefined : version, cache)
  }
  return {kind: 'skip', reason: `charts from a ${kind} are not rendered by lint`}
}

type Values = Record<string, unknown>

/** Reads a key of a ConfigMap or Secret in the repository (Secrets: stringData, else base64 data). */
function readKey(index: ObjectIndex, kind: 'ConfigMap' | 'Secret', namespace: string, name: string, key: string): {text?: string; why?: string} {
  const found = index.find(kind, namespace, name, [''])
  if (found.length === 0) {
    if (kind === 'Secret' && index.find('SealedSecret', namespace, name, ['bitnami.com']).length > 0)
      return {why: `Secret ${namespace}/${name} is a SealedSecret, not readable offline`}
    return {why: `${kind} ${namespace}/${name} is not in the repository`}
  }
  const object = found[0].object
  if (kind === 'Secret') {
    const plain = asObj(object.stringData)[key]
    if (typeof plain === 'string') return {text: plain}
    const data = asObj(object.data)[key]
    if (typeof data === 'string') return {text: Buffer.from(data, 'base64').toString('utf8')}
  } else {
    const data = asObj(object.data)[key]
    if (typeof data === 'string') return {text: data}
  }
  return {why: `${kind} ${namespace}/${name} has no key ${key}`}
}

function setAtPath(target: Values, dotted: string, value: string): Values {
  const keys = dotted.split('.')
  let node = target
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {}
    node = node[key] as Values
  }
  node[keys.at(-1) ?? dotted] = value
  return target
}

/**
 * The values the controller would pass: valuesFrom entries in order (helm-operator's
 * configMapKeyRef/secretKeyRef/chartFileRef, Flux v2's kind/name/valuesKey/targetPath), then
 * spec.values on top. A source that is not in the repository (or is sealed) makes the release
 * unrenderable offline, unless it is optional.
 */
function composeValues(index: ObjectIndex, release: SourcedObject, chartDir: string | undefined): {values?: Values; why?: string} {
  const spec = asObj(release.object.spec)
  const namespace = index.namespaceOf(release.object) ?? 'default'
  let values: Values = {}
  for (const raw of asList(spec.valuesFrom)) {
    const entry = asObj(raw)
    let text: string | undefined
    let why: string | undefined
    let optional: boolean
    let targetPath: string | undefined
    if (entry.kind === 'ConfigMap' || entry.kind === 'Secret') {
      optional = entry.optional === true
      targetPath = asString(entry.targetPath)
      ;({text, why} = readKey(index, entry.kind, namespace, asString(entry.name) ?? '', asString(entry.valuesKey) ?? 'values.yaml'))
    } else if (entry.configMapKeyRef !== undefined || entry.secretKeyRef !== undefined) {
      const ref = asObj(entry.configMapKeyRef ?? entry.secretKeyRef)
      optional = ref.optional === true
      ;({text, why} = readKey(
        index,
        entry.configMapKeyRef === undefined ? 'Secret' : 'ConfigMap',
        asString(ref.namespace) ?? namespace,
        asString(ref.name) ?? '',
        asString(ref.key) ?? 'values.yaml',
      ))
    } else if (entry.chartFileRef !== undefined) {
      const ref = asObj(entry.chartFileRef)
      optional = ref.optional === true
      const file = chartDir ? path.resolve(chartDir, asString(ref.path) ?? '') : undefined
      if (file && chartDir && file.startsWith(path.resolve(chartDir)) && existsSync(file)) text = readFileSync(file, 'utf8')
      else why = `chart file ${asString(ref.path) ?? ''} was not found`
    } else if (entry.externalSourceRef !== undefined) {
      optional = asObj(entry.externalSourceRef).optional === true
      why = 'values from an external URL are not read by lint'
    } else continue
    if (text === undefined) {
      if (optional) continue
      return {why: `its values come from ${why}`}
    }
    if (targetPath) {
      values = mergeValues(values, setAtPath({}, targetPath, text))
      continue
    }
    let parsed: unknown
    try {
      parsed = jsyaml.load(text, {schema: jsyaml.CORE_SCHEMA})
    } catch {
      return {why: 'one of its valuesFrom sources is not valid YAML'}
    }
    if (parsed === null || parsed === undefined) continue
    if (typeof parsed !== 'object' || Array.isArray(parsed)) return {why: 'one of its valuesFrom sources is not a YAML map'}
    values = mergeValues(values, parsed as Values)
  }
  const inline = spec.values
  if (inline !== undefined && inline !== null) values = mergeValues(values, asObj(inline))
  return {values}
}

/** Every scalar of the values, longest first: what must never appear in a message. */
function valueStrings(values: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof values === 'string' || typeof values === 'number') {
    const text = String(values)
    if (text.length >= 3) out.add(text)
  } else if (Array.isArray(values)) {
    for (const item of values) valueStrings(item, out)
  } else if (values && typeof values === 'object') {
    for (const item of Object.values(values)) valueStrings(item, out)
  }
  return out
}

/** helm's error line with every value we passed replaced by <value> (chart code may quote them). */
export function redactHelmError(line: string, values: Values): string {
  let out = line
  for (const text of [...valueStrings(values)].sort((a, b) => b.length - a.length)) out = out.split(text).join('<value>')
  return out
}

/** Dependencies a chart declares that its charts/ directory does not hold. */
function missingDependencies(dir: string): string[] {
  let chart: Obj
  try {
    chart = asObj(jsyaml.load(readFileSync(path.join(dir, 'Chart.yaml'), 'utf8')))
  } catch {
    return []
  }
  const dependencies = asList(chart.dependencies)
    .map((dep) => asString(asObj(dep).name))
    .filter((name): name is string => Boolean(name))
  if (dependencies.length === 0) return []
  let vendored: string[] = []
  try {
    vendored = readdirSync(path.join(dir, 'charts'))
  } catch {
    // no charts/ directory
  }
  return dependencies.filter((name) => !vendored.some((entry) => entry === name || (entry.startsWith(`${name}-`) && entry.endsWith('.tgz'))))
}

/** The documents of `helm template`'s output, each with the template helm names in its `# Source:` line. */
export function splitRendered(output: string): Array<{template: string; text: string}> {
  const out: Array<{template: string; text: string}> = []
  for (const chunk of output.split(/^---[ \t]*$/m)) {
    if (chunk.trim() === '') continue
    const source = /^# Source: (.+)$/m.exec(chunk)
    out.push({template: source?.[1]?.trim() ?? '(unknown template)', text: chunk})
  }
  return out
}

/** The rendered document, placed at its HelmRelease (position, suppressions) with its template named. */
function renderedDocument(release: SourcedObject, helmRelease: string, template: string, value: unknown): SourcedDocument {
  return {
    value,
    get source(): FilePosition | {cluster: string} {
      return release.source
    },
    locate: () => ('file' in release.source ? release.source : {file: '-', line: 1, col: 1}),
    suppressed: release.suppressed,
    rendered: {helmRelease, template},
  }
}

/**
 * The values as helm reads them from `-f -`: JSON, which is YAML to helm, and costs a fraction of
 * a YAML writer's time (20 releases: ~60 ms less of lint's CPU). YAML where JSON cannot say a
 * value (.inf, .nan).
 */
export function valuesDocument(values: unknown): string {
  let json = true
  const text = JSON.stringify(values, (_key, value: unknown) => {
    if (typeof value === 'number' && !Number.isFinite(value)) json = false
    return value
  })
  return json ? text : stringifyYaml(values)
}

/**
 * helm processes at once: four per core, at most 16. helm's start-up waits on the disk and the
 * kernel as much as it computes, so on 2 cores 8 at once rendered 20 charts faster than 2 or 4 at
 * once did (docs/performance.md), with the same CPU in all. The cap (not measured: this machine
 * has 2 cores) keeps a many-core machine from holding dozens of helm processes' memory at once.
 */
export function renderConcurrency(cores: number = availableParallelism()): number {
  return Math.min(cores * 4, 16)
}

/**
 * Go's GC target for the helm processes lint starts (unless GOGC is set): a `helm template` run is
 * short and its heap small, so collecting at 5x the live heap instead of 2x leaves its output as
 * it was and takes a quarter of its CPU off (20 charts: 0.87-0.91 s of CPU instead of 1.19-1.24 s).
 */
export const helmGogc = '400'

/**
 * The message catalogue helm's kubectl packages load: every helm process parses kubectl's English
 * one (350 KB, about 16 ms of each run's ~45 ms of CPU) at start-up, though `helm template` prints
 * none of its strings. For a chart on disk (helm starts no plugin or other program for it) lint
 * names a locale whose catalogue is 6 KB, in LC_MESSAGES, which kubectl reads after LC_ALL
 * (k8s.io/kubectl/pkg/util/i18n). helm's own messages are not translated; the output is the same.
 */
export const helmMessagesLocale = 'fr_FR.UTF-8'

/** The environment lint adds to a `helm template` run (nothing the user set is overridden). */
export function helmTemplateEnv(env: NodeJS.ProcessEnv, chartOnDisk: boolean): NodeJS.ProcessEnv {
  const added: NodeJS.ProcessEnv = {}
  if (env.GOGC === undefined) added.GOGC = helmGogc
  if (chartOnDisk && !env.LC_ALL && !env.LC_MESSAGES) added.LC_MESSAGES = helmMessagesLocale
  return added
}

async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const workers = Array.from({length: Math.max(1, Math.min(limit, items.length))}, async () => {
    while (next < items.length) {
      // Ctrl-C: no new helm process; the scratch directory is removed on the way out.
      checkpoint()
      await work(items[next++])
    }
  })
  await Promise.all(workers)
}

function note(index: ObjectIndex, release: SourcedObject): ReleaseNote {
  // The file without its line: a file read by the fast reader would be parsed again for positions.
  const file = fileOf(release)
  const source = file === undefined ? {} : {file}
  return {helmRelease: `${index.namespaceOf(release.object) ?? 'default'}/${release.object.metadata.name}`, ...source}
}

/** Renders every HelmRelease whose chart can be reached; see the top of this file. Never writes into the repository. */
export async function renderHelmReleases(index: ObjectIndex, options: RenderOptions): Promise<RenderOutcome> {
  const outcome: RenderOutcome = {documents: [], problems: [], rendered: new Set(), renderedReleases: [], skipped: []}
  const releases = index.helmReleases()
  if (releases.length === 0) return outcome
  const env = options.env ?? process.env
  const self = await selfUrls(index, options.root, options.git)
  const cache = helmRepositoryCache(env)
  const located = releases.map((release) => ({release, location: locateChart(index, release, self, options.root, cache)}))
  const toRender = located.filter(
    ({location}) => location.kind === 'dir' || location.kind === 'archive' || (options.online && (location.kind === 'repository' || location.kind === 'git')),
  )
  for (const {release, location} of located) {
    if (location.kind === 'problem')
      outcome.problems.push({on: release, path: location.path, message: `HelmRelease ${note(index, release).helmRelease}: ${location.message}`})
    else if (location.kind === 'skip') outcome.skipped.push({...note(index, release), reason: location.reason})
    else if (!toRender.some((item) => item.release === release))
      outcome.skipped.push({
        ...note(index, release),
        reason: `its chart (${location.shown}) is not in this repository nor in helm's cache; --online fetches it`,
      })
  }
  if (toRender.length === 0) return outcome

  let helm: HelmTool
  try {
    helm = await options.helm()
  } catch (error) {
    const why = (error as Error).message
    for (const {release} of toRender) outcome.skipped.push({...note(index, release), reason: `helm is not available (${why})`})
    return outcome
  }
  outcome.helm = helm.version
  const {helmErrorLine} = await import('../helm/binary.js')
  const workDir = mkdtempSync(path.join(tmpdir(), 'elife-k8s-lint-charts-'))
  try {
    const rendering = pool(toRender, options.concurrency ?? renderConcurrency(), async ({release, location}) => {
      const {helmRelease} = note(index, release)
      let chartRef: string
      const extra: string[] = []
      let chartDir: string | undefined
      if (location.kind === 'dir') {
        chartRef = chartDir = location.dir
        const missing = missingDependencies(location.dir)
        if (missing.length > 0) {
          outcome.skipped.push({
            ...note(index, release),
            reason: `its chart ${location.shown} needs \`helm dependency build\` first (${missing.join(', ')} not in its charts/ directory); lint does not change the repository`,
          })
          return
        }
      } else if (location.kind === 'archive') {
        chartRef = location.file
      } else if (location.kind === 'repository') {
        if (location.url.startsWith('oci://')) chartRef = location.url
        else {
          chartRef = location.name
          extra.push('--repo', location.url)
        }
        if (location.version) extra.push('--version', location.version)
      } else if (location.kind === 'git') {
        const checkout = mkdtempSync(path.join(workDir, 'git-'))
        const git = options.git ?? defaultGit
        let cloned = await git(['clone', '--quiet', '--depth', '1', '--branch', location.ref, location.url, checkout])
        if (cloned.exitCode !== 0) {
          rmSync(checkout, {recursive: true, force: true})
          cloned = await git(['clone', '--quiet', '--no-checkout', location.url, checkout])
          if (cloned.exitCode === 0) cloned = await git(['checkout', '--quiet', location.ref], checkout)
        }
        if (cloned.exitCode !== 0) {
          outcome.skipped.push({...note(index, release), reason: `git could not fetch ${location.url} at ${location.ref}`})
          return
        }
        const dir = path.resolve(checkout, location.path)
        if (!dir.startsWith(checkout) || !existsSync(path.join(dir, 'Chart.yaml'))) {
          outcome.problems.push({
            on: release,
            path: ['spec', 'chart'],
            message: `HelmRelease ${helmRelease}: ${location.url} at ${location.ref} has no chart at ${location.path}`,
          })
          return
        }
        if (missingDependencies(dir).length > 0) {
          const dep = await helm.run(['dependency', 'build', dir], {timeoutMs: 300_000})
          if (dep.exitCode !== 0) {
            outcome.problems.push({
              on: release,
              path: ['spec', 'chart'],
              message: `HelmRelease ${helmRelease}: helm dependency build failed: ${helmErrorLine(dep)}`,
            })
            return
          }
        }
        chartRef = chartDir = dir
      } else return
      const {values, why} = composeValues(index, release, chartDir)
      if (!values) {
        outcome.skipped.push({...note(index, release), reason: why ?? 'its values cannot be read'})
        return
      }
      const controller = groupOf(release.object.apiVersion) === 'helm.fluxcd.io' ? 'helm-operator' : 'flux-v2'
      const {release: releaseName} = managedRelease(controller, release.object as never)
      const namespace = index.helmTargetNamespace(release)
      // Values reach helm on stdin (`-f -`): they never touch the disk, and never a message.
      const result = await helm.run(
        ['template', releaseName, chartRef, ...extra, '--namespace', namespace, '--kube-version', `${options.kubernetesVersion}.0`, '-f', '-'],
        {input: valuesDocument(values), timeoutMs: 300_000, env: helmTemplateEnv(env, location.kind !== 'repository')},
      )
      if (result.exitCode !== 0) {
        const line = redactHelmError(helmErrorLine(result), values)
        if (location.kind === 'repository' && unreachable.test(line)) {
          // The network, not the repository: say so as a skip, not as an error of the HelmRelease.
          outcome.skipped.push({...note(index, release), reason: `its chart (${location.shown}) could not be fetched: ${line}`})
          return
        }
        outcome.problems.push({
          on: release,
          path: ['spec', 'values'],
          message: `helm template failed for HelmRelease ${helmRelease}: ${redactHelmError(helmErrorLine(result), values)}`,
        })
        return
      }
      const objects: RenderedObject[] = []
      for (const {template, text} of splitRendered(result.stdout)) {
        let parsed: unknown[] = []
        try {
          jsyaml.loadAll(text, (value) => parsed.push(value), {schema: jsyaml.CORE_SCHEMA})
        } catch {
          outcome.problems.push({
            on: release,
            path: ['spec', 'values'],
            message: `helm rendered YAML that does not parse in ${template} of HelmRelease ${helmRelease}`,
          })
          parsed = []
        }
        for (const value of parsed) {
          if (value === null || value === undefined) continue
          if (
            isKubeObject(value) &&
            value.metadata.namespace === undefined &&
            !isBuiltinClusterScoped(groupOf(value.apiVersion), value.kind) &&
            index.isNamespaced(value)
          ) {
            // helm installs objects without a namespace into the release's.
            value.metadata.namespace = namespace
          }
          if (isKubeObject(value))
            objects.push({
              apiVersion: value.apiVersion,
              kind: value.kind,
              ...(typeof value.metadata.namespace === 'string' ? {namespace: value.metadata.namespace} : {}),
              name: value.metadata.name,
              template,
            })
          outcome.documents.push(renderedDocument(release, helmRelease, template, value))
        }
      }
      outcome.rendered.add(release)
      outcome.renderedReleases.push({...note(index, release), chart: location.shown, objects})
    })
    // The workers have each started a helm process (spawned before their first wait): the main
    // thread's own work now overlaps with helm's.
    options.whileRendering?.()
    await rendering
  } finally {
    rmSync(workDir, {recursive: true, force: true})
  }
  const order = (a: ReleaseNote, b: ReleaseNote) => (a.helmRelease < b.helmRelease ? -1 : a.helmRelease > b.helmRelease ? 1 : 0)
  outcome.renderedReleases.sort(order)
  outcome.skipped.sort(order)
  // The rendered objects in a stable order (releases finish in any order).
  outcome.documents.sort((a, b) => (a.rendered!.helmRelease < b.rendered!.helmRelease ? -1 : a.rendered!.helmRelease > b.rendered!.helmRelease ? 1 : 0))
  return outcome
}

/** Whether a path is a directory (the repository root is the first directory given). */
export function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory()
  } catch {
    return false
  }
}
