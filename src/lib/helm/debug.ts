import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {CoreV1Api, CustomObjectsApi, KubernetesObject} from '@kubernetes/client-node'
import {execa} from 'execa'
import {parseAllDocuments, parse as parseYaml, stringify as stringifyYaml} from 'yaml'

import {CliError} from '../errors.js'
import {isNotFound} from '../kube/errors.js'
import {helmErrorLine, type HelmTool} from './binary.js'
import {helmReleaseApis, type HelmReleaseObject, managedRelease} from './owners.js'
import {controllerOf, type LoadedHelmRelease} from './resolve.js'
import {manifestObjects, type Validation} from './validate.js'
import {mergeValues, redactValues, valueAt, valuePaths, valuePathsIn} from './values.js'
import {redactUrlCredentials} from '../render/url.js'

function groupOf(apiVersion: string | undefined): string {
  return (apiVersion ?? '').split('/')[0] ?? ''
}

/**
 * The HelmRelease named `name` in a YAML file (one or many documents), else the one that manages
 * the helm release of that name, else the file's only one; `note` says which when not by name.
 */
export function loadHelmReleaseFromFile(file: string, name: string): LoadedHelmRelease & {note?: string} {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new CliError('usage', `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
      hint: 'check the --file path',
      cause: error,
    })
  }
  const docs = parseAllDocuments(text)
  const objects: HelmReleaseObject[] = []
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      throw new CliError('usage', `${file} is not valid YAML: ${doc.errors[0]?.message.split('\n')[0]}`, {hint: 'fix the file (or try `yamllint` on it)'})
    }
    const object = doc.toJS() as HelmReleaseObject | null
    if (object?.kind === 'HelmRelease' && helmReleaseApis.some((a) => a.group === groupOf(object.apiVersion))) objects.push(object)
  }
  const label = (o: HelmReleaseObject) => `HelmRelease ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`
  const byName = objects.find((o) => o.metadata?.name === name)
  const byRelease = byName ? undefined : objects.find((o) => managedRelease(controllerOf({apiVersion: o.apiVersion ?? ''}), o).release === name)
  const found = byName ?? byRelease ?? (objects.length === 1 ? objects[0] : undefined)
  let note: string | undefined
  if (found && byRelease) note = `helm release ${name} → ${label(found)} (in ${file})`
  else if (found && !byName) note = `${file} has one HelmRelease, ${label(found)}, not named "${name}": using it`
  if (!found) {
    throw new CliError(
      'usage',
      objects.length === 0
        ? `${file} has no HelmRelease in it`
        : `${file} has no HelmRelease named "${name}" (it has ${objects.map((o) => o.metadata?.name).join(', ')})`,
      {
        hint: 'pass the file that holds this HelmRelease',
      },
    )
  }
  return {object: found, apiVersion: found.apiVersion ?? '', from: {kind: 'file', path: file}, note}
}

export type ChartSource =
  {kind: 'git'; url: string; ref: string; path: string; skipDepUpdate: boolean} | {kind: 'repository'; url: string; name: string; version: string}

function helmReleaseName(hr: HelmReleaseObject): string {
  return `HelmRelease ${hr.metadata?.namespace ?? ''}/${hr.metadata?.name ?? ''}`.replace(' /', ' ')
}

const str = (v: unknown) => (typeof v === 'string' ? v : '')

/**
 * Where the chart comes from. helm-operator's two sources are in the HelmRelease itself
 * (pkg/release/release.go prepareChart); Flux v2's spec.chart.spec names a HelmRepository or
 * GitRepository object (source.toolkit.fluxcd.io), read from the cluster.
 */
export async function chartSource(loaded: LoadedHelmRelease, custom?: () => CustomObjectsApi): Promise<ChartSource> {
  const hr = loaded.object
  const name = helmReleaseName(hr)
  if (controllerOf(loaded) === 'flux-v2') return fluxV2ChartSource(hr, name, custom)
  const chart = (hr.spec?.chart ?? {}) as Record<string, unknown>
  if (str(chart.git) && str(chart.path)) {
    return {kind: 'git', url: str(chart.git), ref: str(chart.ref) || 'master', path: str(chart.path), skipDepUpdate: chart.skipDepUpdate === true}
  }
  if (str(chart.repository) && str(chart.name) && str(chart.version)) {
    return {kind: 'repository', url: str(chart.repository), name: str(chart.name), version: str(chart.version)}
  }
  throw new CliError('usage', `${name} has no chart source helm-operator understands`, {
    hint: 'spec.chart needs git + path (and ref), or repository + name + version',
  })
}

interface SourceObject {
  spec?: {url?: string; type?: string; ref?: {branch?: string; tag?: string; commit?: string; name?: string; semver?: string}}
}

async function fluxV2ChartSource(hr: HelmReleaseObject, name: string, custom: (() => CustomObjectsApi) | undefined): Promise<ChartSource> {
  const chartSpec = ((hr.spec?.chart as Record<string, unknown> | undefined)?.spec ?? {}) as {
    chart?: string
    version?: string
    sourceRef?: {kind?: string; name?: string; namespace?: string}
  }
  const ref = chartSpec.sourceRef ?? {}
  if (!chartSpec.chart || !ref.kind || !ref.name) {
    throw new CliError('usage', `${name} has no spec.chart.spec with chart and sourceRef`, {
      hint: 'HelmReleases that use spec.chartRef (OCIRepository/HelmChart) are not read by debug yet; run `helm template` on the chart by hand',
    })
  }
  if (ref.kind !== 'HelmRepository' && ref.kind !== 'GitRepository') {
    throw new CliError('usage', `${name} takes its chart from a ${ref.kind}; debug reads HelmRepository and GitRepository sources`, {
      hint: 'fetch the chart by hand and run `helm template` on it',
    })
  }
  const namespace = ref.namespace || hr.metadata?.namespace || 'default'
  if (!custom)
    throw new CliError('usage', `${name} names its chart source ${ref.kind} ${namespace}/${ref.name}, which only the cluster has`, {
      hint: 'run without --file against the cluster',
    })
  const plural = ref.kind === 'HelmRepository' ? 'helmrepositories' : 'gitrepositories'
  let source: SourceObject | undefined
  for (const version of ['v1', 'v1beta2']) {
    try {
      source = (await custom().getNamespacedCustomObject({group: 'source.toolkit.fluxcd.io', version, namespace, plural, name: ref.name})) as SourceObject
      break
    } catch (error) {
      // 404 is both "no such object" and "no such version": try the next.
      if (!isNotFound(error)) throw error
    }
  }
  const url = str(source?.spec?.url)
  if (!source || !url) {
    throw new CliError('not-found', `${ref.kind} ${namespace}/${ref.name}, the chart source of ${name}, was not found (or has no spec.url)`, {
      hint: `check spec.chart.spec.sourceRef, e.g. \`kubectl get ${plural}.source.toolkit.fluxcd.io -n ${namespace}\``,
    })
  }
  if (ref.kind === 'GitRepository') {
    const gitRef = source.spec?.ref ?? {}
    return {kind: 'git', url, ref: gitRef.commit || gitRef.tag || gitRef.name || gitRef.branch || 'master', path: chartSpec.chart, skipDepUpdate: false}
  }
  // helm pull takes a version constraint ("1.2.x", ">=1.0"); "*" or none means the latest.
  const version = chartSpec.version && chartSpec.version !== '*' ? chartSpec.version : ''
  return {kind: 'repository', url, name: chartSpec.chart, version}
}

export interface ValuesSource {
  from: string
  keys: number
  skipped?: string
}

interface ValuesFromEntry {
  /** Flux v2: {kind, name, valuesKey, targetPath, optional} in the HelmRelease's namespace. */
  kind?: string
  name?: string
  valuesKey?: string
  targetPath?: string
  optional?: boolean
  configMapKeyRef?: {name?: string; key?: string; namespace?: string; optional?: boolean}
  secretKeyRef?: {name?: string; key?: string; namespace?: string; optional?: boolean}
  externalSourceRef?: {url?: string; optional?: boolean}
  chartFileRef?: {path?: string; optional?: boolean}
}

function parseValuesText(text: string, from: string): Record<string, unknown> {
  const parsed = parseYaml(text) as unknown
  if (parsed === null || parsed === undefined) return {}
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new CliError('usage', `values from ${from} are not a YAML map`, {hint: 'fix that source'})
  return parsed as Record<string, unknown>
}

/**
 * The values helm-operator would pass (pkg/release/values.go composeValues): each valuesFrom
 * source merged in order, then spec.values on top. Secret sources are read with the user's own
 * RBAC; an optional source that is missing is skipped, as helm-operator does.
 */
export async function composeValues(
  hr: HelmReleaseObject,
  chartDir: string,
  coreApi: (() => CoreV1Api) | undefined,
): Promise<{values: Record<string, unknown>; sources: ValuesSource[]}> {
  let values: Record<string, unknown> = {}
  const sources: ValuesSource[] = []
  const hrNamespace = hr.metadata?.namespace ?? 'default'
  for (const entry of (hr.spec?.valuesFrom ?? []) as ValuesFromEntry[]) {
    let text: string | undefined
    let from = 'valuesFrom entry'
    let optional = false
    try {
      if (entry.kind === 'ConfigMap' || entry.kind === 'Secret') {
        const key = entry.valuesKey || 'values.yaml'
        from = `${entry.kind} ${hrNamespace}/${entry.name}[${key}]`
        optional = entry.optional === true
        if (!coreApi) throw new CliError('usage', `cannot read ${from} without cluster access`)
        const core = coreApi()
        if (entry.kind === 'ConfigMap') {
          text = (await core.readNamespacedConfigMap({name: entry.name ?? '', namespace: hrNamespace})).data?.[key]
        } else {
          const data = (await core.readNamespacedSecret({name: entry.name ?? '', namespace: hrNamespace})).data?.[key]
          text = data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8')
        }
        // targetPath puts the whole value at one path instead of merging it as a values file.
        if (text !== undefined && entry.targetPath) text = stringifyYaml(setAtPath({}, entry.targetPath, text))
      } else if (entry.configMapKeyRef || entry.secretKeyRef) {
        const ref = (entry.configMapKeyRef ?? entry.secretKeyRef)!
        const kind = entry.configMapKeyRef ? 'ConfigMap' : 'Secret'
        const key = ref.key || 'values.yaml'
        const namespace = ref.namespace || hrNamespace
        from = `${kind} ${namespace}/${ref.name}[${key}]`
        optional = ref.optional === true
        if (!coreApi) throw new CliError('usage', `cannot read ${from} without cluster access`)
        const core = coreApi()
        if (kind === 'ConfigMap') {
          text = (await core.readNamespacedConfigMap({name: ref.name ?? '', namespace})).data?.[key]
        } else {
          const data = (await core.readNamespacedSecret({name: ref.name ?? '', namespace})).data?.[key]
          text = data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8')
        }
      } else if (entry.chartFileRef) {
        from = `chart file ${entry.chartFileRef.path}`
        optional = entry.chartFileRef.optional === true
        const file = path.resolve(chartDir, entry.chartFileRef.path ?? '')
        if (!file.startsWith(path.resolve(chartDir))) throw new CliError('usage', `chartFileRef ${entry.chartFileRef.path} points outside the chart`)
        text = existsSync(file) ? readFileSync(file, 'utf8') : undefined
      } else if (entry.externalSourceRef) {
        from = `URL ${entry.externalSourceRef.url}`
        optional = entry.externalSourceRef.optional === true
        const response = await fetch(entry.externalSourceRef.url ?? '', {signal: AbortSignal.timeout(15_000)})
        text = response.ok ? await response.text() : undefined
      }
    } catch (error) {
      if (!isNotFound(error) && !(error instanceof TypeError)) throw error
      text = undefined
    }
    if (text === undefined) {
      if (optional) {
        sources.push({from, keys: 0, skipped: 'optional and not found'})
        continue
      }
      throw new CliError('not-found', `values source ${from} of HelmRelease ${hrNamespace}/${hr.metadata?.name} was not found`, {
        hint: 'helm-operator fails the same way; create it, or mark it optional',
      })
    }
    const more = parseValuesText(text, from)
    sources.push({from, keys: valuePaths(more).length})
    values = mergeValues(values, more)
  }
  const inline = (hr.spec?.values ?? {}) as Record<string, unknown>
  sources.push({from: 'spec.values', keys: valuePaths(inline).length})
  values = mergeValues(values, inline)
  return {values, sources}
}

/** `a.b.c` = value, as Flux v2's targetPath (helm's --set-string path syntax, dots only). */
function setAtPath(target: Record<string, unknown>, dotted: string, value: string): Record<string, unknown> {
  const keys = dotted.split('.')
  let node = target
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {}
    node = node[key] as Record<string, unknown>
  }
  node[keys.at(-1) ?? dotted] = value
  return target
}

export interface Culprit {
  /** e.g. "elife-app/templates/configmap.yaml" */
  template?: string
  line?: number
  /** The template line itself (templates are code, not values: safe to show). */
  source?: string
  /** The values that line (or helm's message) refers to, as we passed them, redacted. */
  values: Array<{path: string; value: unknown; set: boolean; from?: 'HelmRelease' | 'chart default'}>
}

export interface DebugResult {
  helmRelease: {apiVersion: string; namespace: string; name: string; from: string}
  release: string
  namespace: string
  chart: ChartSource
  valuesSources: ValuesSource[]
  /** Every values path passed to helm (keys only). */
  valuePaths: string[]
  /** The values passed to helm, string values that look secret redacted (in --json only with --show-values). */
  values?: unknown
  dependencyUpdate: {ran: boolean; ok: boolean; error?: string}
  template: {ran: boolean; ok: boolean; error?: string; manifests?: number; kinds?: Record<string, number>}
  culprit?: Culprit
  /** The rendered objects sent to the API server in a dry run (--validate). */
  validation?: Validation
  ok: boolean
}

export interface DebugDeps {
  helm: HelmTool
  /** Cluster access for Flux v2 chart sources (HelmRepository/GitRepository objects). */
  custom?: () => CustomObjectsApi
  /** Cluster access, asked for only when a valuesFrom entry names a ConfigMap or Secret. */
  core?: () => CoreV1Api
  /** git is a tool we drive, never re-implement (runs with an argument array). */
  git?: (args: string[], cwd?: string) => Promise<{exitCode: number; stderr: string}>
  onStep?: (text: string) => void
  onDone?: (text: string) => void
  /** Server-side dry run of the rendered objects; undefined: not validated (--no-validate). */
  validate?: (objects: KubernetesObject[], namespace: string) => Promise<Validation>
}

const defaultGit: NonNullable<DebugDeps['git']> = async (args, cwd) => {
  try {
    const result = await execa('git', args, {cwd, reject: false, stdin: 'ignore', env: {GIT_TERMINAL_PROMPT: '0'}})
    return {exitCode: result.exitCode ?? 1, stderr: String(result.stderr ?? '')}
  } catch (error) {
    if ((error as {code?: string}).code === 'ENOENT')
      throw new CliError('tool-failed', 'git was not found on PATH', {hint: 'install git to fetch charts from a git source'})
    throw error
  }
}

/** git's own reason: its first "fatal:" line (the last line is often the tail of a wrapped hint). */
function gitErrorLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  return lines.find((l) => l.startsWith('fatal:')) ?? lines.at(-1) ?? ''
}

/** Fetches the chart into `workDir` and returns the chart's directory. */
async function fetchChart(source: ChartSource, workDir: string, deps: DebugDeps, helmEnv: NodeJS.ProcessEnv): Promise<string> {
  // The URL as shown: a password or token written into it is cluster data we never print.
  const shownUrl = redactUrlCredentials(source.url)
  if (source.kind === 'git') {
    // A value starting with "-" would reach git as an option (--upload-pack=...), not as a URL or ref.
    for (const [field, value] of [
      ['spec.chart.git', source.url],
      ['spec.chart.ref', source.ref],
    ] as const) {
      if (value.startsWith('-'))
        throw new CliError('usage', `${field} starts with "-", so it is not a Git URL or ref (not passed to git)`, {hint: `fix ${field} in the HelmRelease`})
    }
    const git = deps.git ?? defaultGit
    const checkout = path.join(workDir, 'git')
    deps.onStep?.(`cloning ${shownUrl} at ${source.ref}`)
    // A branch or tag clones shallow; a commit needs the full history and a checkout.
    let result = await git(['clone', '--quiet', '--depth', '1', '--branch', source.ref, '--', source.url, checkout])
    if (result.exitCode !== 0) {
      rmSync(checkout, {recursive: true, force: true})
      result = await git(['clone', '--quiet', '--no-checkout', '--', source.url, checkout])
      if (result.exitCode === 0) result = await git(['checkout', '--quiet', source.ref], checkout)
    }
    if (result.exitCode !== 0) {
      throw new CliError('tool-failed', `git could not fetch ${shownUrl} at ${source.ref}: ${redactUrlCredentials(gitErrorLine(result.stderr))}`, {
        hint: 'check spec.chart.git and spec.chart.ref, and that you can clone it yourself',
      })
    }
    const chartDir = path.resolve(checkout, source.path)
    if (!chartDir.startsWith(checkout) || !existsSync(path.join(chartDir, 'Chart.yaml'))) {
      throw new CliError('not-found', `${shownUrl} at ${source.ref} has no chart at ${source.path}`, {hint: 'check spec.chart.path'})
    }
    return chartDir
  }
  deps.onStep?.(`pulling chart ${source.name} ${source.version} from ${shownUrl}`)
  const untar = path.join(workDir, 'repo')
  // An OCI HelmRepository holds charts as oci://host/path/<chart>; a classic one has an index.
  const oci = source.url.startsWith('oci://')
  const pull = oci ? ['pull', `${source.url.replace(/\/+$/, '')}/${source.name}`] : ['pull', source.name, '--repo', source.url]
  if (source.version) pull.push('--version', source.version)
  const result = await deps.helm.run([...pull, '--untar', '--untardir', untar], {env: helmEnv, timeoutMs: 120_000})
  if (result.exitCode !== 0) {
    throw new CliError('tool-failed', `helm could not pull chart ${source.name} ${source.version} from ${shownUrl}: ${helmErrorLine(result)}`, {
      hint: 'check spec.chart.repository, name and version',
    })
  }
  return path.join(untar, source.name)
}

/**
 * The runbook's recipe for "helm lint is happy but operator is complaining", in one step: the
 * HelmRelease's values and chart, `helm dependency update`, `helm template --debug`, and, when
 * helm fails, its error next to the values it was looking at.
 */
export async function debugHelmRelease(loaded: LoadedHelmRelease, deps: DebugDeps): Promise<DebugResult> {
  const hr = loaded.object
  const source = await chartSource(loaded, deps.custom)
  const {release, namespace} = managedRelease(controllerOf(loaded), hr)
  const workDir = mkdtempSync(path.join(tmpdir(), 'elife-k8s-helm-debug-'))
  const helmEnv: NodeJS.ProcessEnv = {}
  try {
    const chartDir = await fetchChart(source, workDir, deps, helmEnv)
    deps.onDone?.(`chart fetched (${path.basename(chartDir)})`)
    const {values, sources} = await composeValues(hr, chartDir, deps.core)
    const result: DebugResult = {
      helmRelease: {
        apiVersion: loaded.apiVersion,
        namespace: hr.metadata?.namespace ?? '',
        name: hr.metadata?.name ?? '',
        from: loaded.from.kind === 'file' ? loaded.from.path : 'cluster',
      },
      release,
      namespace,
      chart: {...source, url: redactUrlCredentials(source.url)},
      valuesSources: sources,
      valuePaths: valuePaths(values),
      values: redactValues(values),
      dependencyUpdate: {ran: false, ok: true},
      template: {ran: false, ok: false},
      ok: false,
    }

    // helm-operator updates dependencies of git charts only (a packaged chart carries its own);
    // so does the runbook's recipe.
    if (source.kind === 'git' && !source.skipDepUpdate) {
      deps.onStep?.('helm dependency update')
      const dep = await deps.helm.run(['dependency', 'update', chartDir], {env: helmEnv, timeoutMs: 300_000})
      result.dependencyUpdate = {ran: true, ok: dep.exitCode === 0, error: dep.exitCode === 0 ? undefined : helmErrorLine(dep)}
      if (dep.exitCode !== 0) return result
      deps.onDone?.('dependencies updated')
    }

    deps.onStep?.('helm template --debug')
    // Values reach helm on stdin (`-f -`): they never touch the disk.
    const rendered = await deps.helm.run(['template', release, chartDir, '--namespace', namespace, '--debug', '-f', '-'], {
      env: helmEnv,
      input: stringifyYaml(values),
      timeoutMs: 300_000,
    })
    if (rendered.exitCode === 0) {
      const kinds: Record<string, number> = {}
      let manifests = 0
      for (const doc of parseAllDocuments(rendered.stdout)) {
        const kind = (doc.toJS() as {kind?: string} | null)?.kind
        if (!kind) continue
        manifests++
        kinds[kind] = (kinds[kind] ?? 0) + 1
      }
      result.template = {ran: true, ok: true, manifests, kinds}
      result.ok = true
      if (deps.validate) {
        deps.onStep?.(`dry run of the ${manifests} rendered objects against the API server`)
        result.validation = await deps.validate(manifestObjects(rendered.stdout), namespace)
        result.ok = result.validation.refused.length === 0
      }
      return result
    }
    const error = helmErrorLine(rendered)
    result.template = {ran: true, ok: false, error}
    result.culprit = findCulprit(error, chartDir, values)
    return result
  } finally {
    rmSync(workDir, {recursive: true, force: true})
  }
}

/**
 * Which template line helm stopped at and which values it refers to. helm names the place as
 * `(chart/templates/x.yaml:LINE:COL)` for execution errors and `template: chart/templates/x.yaml:LINE:`
 * for parse errors; subcharts appear as `chart/charts/sub/templates/...`.
 */
export function findCulprit(error: string, chartDir: string, values: Record<string, unknown>): Culprit {
  const place = /\(([^():\s]+\.(?:ya?ml|tpl|txt)):(\d+)(?::\d+)?\)/.exec(error) ?? /template: ([^:\s]+\.(?:ya?ml|tpl|txt)):(\d+)/.exec(error)
  const culprit: Culprit = {values: []}
  const paths = new Set(valuePathsIn(error))
  if (place) {
    culprit.template = place[1]
    culprit.line = Number(place[2])
    // helm names the file from the chart's own name; the chart directory holds it below that.
    const relative = (place[1] ?? '').split('/').slice(1).join('/')
    const file = path.join(chartDir, relative)
    if (existsSync(file)) {
      culprit.source = readFileSync(file, 'utf8').split('\n')[(culprit.line ?? 1) - 1]?.trim()
      for (const p of valuePathsIn(culprit.source ?? '')) paths.add(p)
    }
  }
  let defaults: unknown = {}
  try {
    defaults = parseYaml(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) ?? {}
  } catch {
    // no values.yaml: no defaults to show
  }
  for (const p of paths) {
    const value = valueAt(values, p)
    const fallback = valueAt(defaults, p)
    const leaf = p.split('.').pop()
    if (value !== undefined) culprit.values.push({path: p, value: redactValues(value, leaf), set: true, from: 'HelmRelease'})
    else
      culprit.values.push({
        path: p,
        value: fallback === undefined ? undefined : redactValues(fallback, leaf),
        set: fallback !== undefined,
        from: fallback === undefined ? undefined : 'chart default',
      })
  }
  return culprit
}
