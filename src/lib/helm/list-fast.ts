import {existsSync, readFileSync} from 'node:fs'
import {Agent, request} from 'node:https'
import {homedir} from 'node:os'
import path from 'node:path'

import {parse as parseYaml} from 'yaml'

import {colorEnabled, makeChalk} from '../render/style.js'
import {renderTable} from '../render/table.js'
import {helmReleaseApis, type HelmReleaseObject, managedRelease, type OwnerRef, ownerKey} from './owner-names.js'
import {decodeRelease, type RecordLabels, recordLabels} from './release.js'
import {listEmptyLine, listSummaryLine, releaseColumns, releaseRow, type ReleaseRow, sortReleaseRows} from './rows.js'

/**
 * `elife-k8s helm list` without oclif's command loading and without @kubernetes/client-node,
 * whose import alone costs more time and memory than `helm list` takes in all (about 1 s and
 * 115 MB here). bin/run.js tries this first; it handles the common case (a kubeconfig with a
 * client certificate or bearer token, plain flags, every request answered 200) and returns false
 * for anything else (exec credentials, --help, bad flags, an error answer, a 410 while paging),
 * so the full command runs and reports it exactly as always. Output is the same: same rows, same
 * table renderer, same JSON shape.
 */

interface FastFlags {
  allNamespaces: boolean
  namespace?: string
  stuck: boolean
  json: boolean
  noColor: boolean
  kubeconfig?: string
  context?: string
}

export function parseFastFlags(argv: string[]): FastFlags | undefined {
  const flags: FastFlags = {allNamespaces: false, stuck: false, json: false, noColor: false}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    const value = () => inline ?? argv[++i]
    switch (name) {
      case '-A':
      case '--all-namespaces':
        flags.allNamespaces = true
        break
      case '--stuck':
        flags.stuck = true
        break
      case '--json':
        flags.json = true
        break
      case '--no-color':
        flags.noColor = true
        break
      case '-n':
      case '--namespace':
      case '--kubeconfig':
      case '--context': {
        const given = value()
        if (!given || given.startsWith('-')) return undefined
        if (name === '--kubeconfig') flags.kubeconfig = given
        else if (name === '--context') flags.context = given
        else flags.namespace = given
        break
      }
      default:
        return undefined
    }
  }
  return flags
}

interface Target {
  server: URL
  agent: Agent
  headers: Record<string, string>
  namespace: string
}

function fileOrData(data: string | undefined, file: string | undefined, base: string): Buffer | undefined {
  if (data) return Buffer.from(data, 'base64')
  if (file) return readFileSync(path.resolve(base, file))
  return undefined
}

interface Named<T> {
  name: string
  [key: string]: unknown
  value?: T
}

/** kubectl's merge rules, for the entries we need: the first file to define a name wins. */
export function resolveTarget(flags: FastFlags, env: NodeJS.ProcessEnv): Target | undefined {
  const files = flags.kubeconfig
    ? [path.resolve(flags.kubeconfig)]
    : env.KUBECONFIG
      ? [...new Set(env.KUBECONFIG.split(path.delimiter).filter(Boolean).map((f) => path.resolve(f)))]
      : [path.join(env.HOME ?? homedir(), '.kube', 'config')]
  const find = <T>(kind: 'clusters' | 'users' | 'contexts', name: string): {entry: T; dir: string} | undefined => {
    for (const file of files) {
      const config = configs.get(file)
      const item = (config?.[kind] as Array<Named<T>> | undefined)?.find((x) => x.name === name)
      const entry = item?.[kind === 'clusters' ? 'cluster' : kind === 'users' ? 'user' : 'context'] as T | undefined
      if (entry) return {entry, dir: path.dirname(file)}
    }
    return undefined
  }
  const configs = new Map<string, Record<string, unknown>>()
  for (const file of files) {
    if (!existsSync(file)) continue
    configs.set(file, (parseYaml(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>)
  }
  if (configs.size === 0) return undefined
  const contextName = flags.context ?? [...configs.values()].map((c) => c['current-context']).find((c) => typeof c === 'string' && c !== '')
  if (typeof contextName !== 'string') return undefined
  const context = find<{cluster?: string; user?: string; namespace?: string}>('contexts', contextName)?.entry
  if (!context?.cluster) return undefined
  const cluster = find<Record<string, string | boolean>>('clusters', context.cluster)
  const user = context.user ? find<Record<string, unknown>>('users', context.user) : undefined
  if (!cluster || typeof cluster.entry.server !== 'string' || !cluster.entry.server.startsWith('https://')) return undefined
  const u = (user?.entry ?? {}) as Record<string, string | undefined>
  // Exec plugins, auth providers, basic auth, proxies: the full client handles those.
  if (u.exec || u['auth-provider'] || u.username || cluster.entry['proxy-url'] || u.as) return undefined
  const headers: Record<string, string> = {}
  const token = u.token ?? (u.tokenFile ? readFileSync(path.resolve(user?.dir ?? '.', u.tokenFile), 'utf8').trim() : undefined)
  if (token) headers.authorization = `Bearer ${token}`
  const agent = new Agent({
    keepAlive: true,
    ca: fileOrData(cluster.entry['certificate-authority-data'] as string | undefined, cluster.entry['certificate-authority'] as string | undefined, cluster.dir),
    cert: fileOrData(u['client-certificate-data'], u['client-certificate'], user?.dir ?? '.'),
    key: fileOrData(u['client-key-data'], u['client-key'], user?.dir ?? '.'),
    rejectUnauthorized: cluster.entry['insecure-skip-tls-verify'] !== true,
    servername: (cluster.entry['tls-server-name'] as string | undefined) || undefined,
  })
  return {server: new URL(cluster.entry.server), agent, headers, namespace: flags.namespace ?? context.namespace ?? 'default'}
}

class Fallback extends Error {}

function get<T>(target: Target, pathname: string, query: Record<string, string | undefined>, accept = 'application/json'): Promise<{status: number; body?: T}> {
  const url = new URL(target.server)
  url.pathname = `${url.pathname.replace(/\/$/, '')}${pathname}`
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v)
  return new Promise((resolve, reject) => {
    const req = request(url, {agent: target.agent, headers: {...target.headers, accept}}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const status = res.statusCode ?? 0
        if (status !== 200) return resolve({status})
        try {
          resolve({status, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as T})
        } catch (error) {
          reject(error)
        }
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.setTimeout(60_000, () => req.destroy(new Fallback('timeout')))
    req.end()
  })
}

interface ObjectList {
  items?: Array<{metadata?: {name?: string; namespace?: string; labels?: Record<string, string>}; data?: Record<string, string>}> | null
  metadata?: {continue?: string}
}

async function listAll(target: Target, resource: 'secrets' | 'configmaps', labelSelector: string, onPage: (items: NonNullable<ObjectList['items']>) => void, accept?: string): Promise<void> {
  const base = target.namespace === '' ? `/api/v1/${resource}` : `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/${resource}`
  let token: string | undefined
  do {
    const page = await get<ObjectList>(target, base, {labelSelector, limit: '500', continue: token}, accept)
    if (page.status !== 200 || !page.body) throw new Fallback(`${resource}: ${page.status}`)
    onPage(page.body.items ?? [])
    token = page.body.metadata?.continue || undefined
  } while (token)
}

async function owners(target: Target): Promise<Map<string, OwnerRef>> {
  const found = new Map<string, OwnerRef>()
  for (const api of helmReleaseApis) {
    for (const version of api.versions) {
      const list = await get<{items?: HelmReleaseObject[]}>(target, `/apis/${api.group}/${version}/helmreleases`, {})
      if (list.status === 404) continue
      if (list.status !== 200) throw new Fallback(`helmreleases: ${list.status}`)
      for (const hr of list.body?.items ?? []) {
        const {namespace, release} = managedRelease(api.controller, hr)
        found.set(ownerKey(namespace, release), {controller: api.controller, apiVersion: `${api.group}/${version}`, kind: 'HelmRelease', namespace: hr.metadata?.namespace ?? '', name: hr.metadata?.name ?? ''})
      }
      break
    }
  }
  return found
}

/**
 * The same passes as store.ts listLatestRecords, over plain HTTPS and all at once: the labels of
 * every record (metadata only) to know each release's latest revision, and the payloads of the
 * records that can be latest (status other than superseded).
 */
async function latestRows(target: Target): Promise<{rows: ReleaseRow[]; recordsSeen: number}> {
  const newest = new Map<string, RecordLabels>()
  const payloads = new Map<string, {labels: RecordLabels; data: string}>()
  let recordsSeen = 0
  const keyOf = (labels: RecordLabels) => `${labels.driver}/${labels.namespace}/${labels.release}`
  const note = (labels: RecordLabels | undefined, data?: string) => {
    if (!labels) return
    const key = keyOf(labels)
    const seen = newest.get(key)
    if (!seen || labels.revision > seen.revision) newest.set(key, labels)
    if (data === undefined) return
    const held = payloads.get(key)
    if (!held || labels.revision > held.labels.revision) payloads.set(key, {labels, data})
  }
  const [ownerIndex] = await Promise.all([
    owners(target),
    listAll(target, 'secrets', 'owner=helm', (items) => {
      recordsSeen += items.length
      for (const item of items) note(recordLabels(item, 'secret'))
    }, 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json'),
    listAll(target, 'secrets', 'owner=helm,status!=superseded', (items) => {
      for (const item of items) note(recordLabels(item, 'secret'), item.data?.release ?? '')
    }),
    listAll(target, 'configmaps', 'owner=helm', (items) => {
      recordsSeen += items.length
      for (const item of items) note(recordLabels(item, 'configmap'), item.data?.release ?? '')
    }),
  ])
  const rows: ReleaseRow[] = []
  for (const [key, labels] of newest) {
    const held = payloads.get(key)
    // The latest record is superseded (or has no payload): the full path reads it one by one.
    if (!held || held.labels.revision !== labels.revision || !held.data) throw new Fallback(`no payload for ${labels.objectName}`)
    rows.push(releaseRow(held.labels, decodeRelease(held.data, held.labels.driver), ownerIndex))
  }
  return {rows: sortReleaseRows(rows), recordsSeen}
}

export async function runHelmListFast(argv: string[], env: NodeJS.ProcessEnv): Promise<boolean> {
  const flags = parseFastFlags(argv)
  if (!flags) return false
  let target: Target | undefined
  try {
    target = resolveTarget(flags, env)
    if (!target) return false
    if (flags.allNamespaces) target.namespace = ''
    const scope = target.namespace ? `namespace "${target.namespace}"` : 'all namespaces'
    const {rows, recordsSeen} = await latestRows(target)
    const releases = flags.stuck ? rows.filter((r) => r.stuck) : rows
    const result = {scope, releases, stuck: releases.filter((r) => r.stuck).length, recordsSeen, notes: [] as string[]}
    let out: string
    if (flags.json) out = `${JSON.stringify(result, null, 2)}\n`
    else if (releases.length === 0) out = `${listEmptyLine(scope, flags.stuck)}\n`
    else {
      const chalk = makeChalk(colorEnabled(process.stdout, env, flags.noColor))
      out = `${renderTable(releases, releaseColumns(Boolean(target.namespace)), chalk)}\n\n${listSummaryLine(releases, scope, flags.stuck)}\n`
    }
    await new Promise<void>((resolve) => process.stdout.write(out, () => resolve()))
    return true
  } catch {
    // Whatever went wrong, the full command runs and reports it properly.
    return false
  } finally {
    target?.agent.destroy()
  }
}
