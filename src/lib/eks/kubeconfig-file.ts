import {randomBytes} from 'node:crypto'
import {
  chownSync,
  closeSync,
  fchownSync,
  fsyncSync,
  lstatSync,
  openSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import path from 'node:path'

import {Document, isMap, isScalar, isSeq, parseDocument, type YAMLMap, type YAMLSeq} from 'yaml'

import {makeDirectory} from '../cache-dir.js'
import {CliError} from '../errors.js'
import {kubeconfigFiles} from '../kube/config.js'
import type {KubeconfigEntries} from './kubeconfig-entries.js'

export type EntryChange = 'added' | 'updated' | 'unchanged'

export interface MergePlan {
  file: string
  /** The file's text before (undefined: the file does not exist yet). */
  before?: string
  /** The whole file as it will be written. */
  after: string
  changes: {cluster: EntryChange; user: EntryChange; context: EntryChange}
  currentContext: {before?: string; after: string}
}

function fsCode(error: unknown): string {
  return (error as NodeJS.ErrnoException)?.code ?? 'error'
}

/** A kubeconfig's text, or undefined when it does not exist yet. Unreadable is a usage error. */
export function readKubeconfigText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    if (fsCode(error) === 'ENOENT') return undefined
    throw new CliError('usage', `kubeconfig ${file} cannot be read (${fsCode(error)})`, {
      hint: 'fix its permissions or point --kubeconfig at another file',
      cause: error,
    })
  }
}

/**
 * Which file to write, as `aws eks update-kubeconfig` picks it: --kubeconfig; else the first file
 * in KUBECONFIG that already has this cluster; else the first file in KUBECONFIG; else
 * ~/.kube/config. Files that cannot be parsed are passed over while looking (aws-cli does too).
 */
export function chooseKubeconfigFile(options: {kubeconfig?: string; env?: NodeJS.ProcessEnv; clusterArn: string}): string {
  const {files, explicit} = kubeconfigFiles({kubeconfig: options.kubeconfig, env: options.env})
  if (explicit || files.length === 1) return files[0]
  for (const file of files) {
    try {
      const text = readKubeconfigText(file)
      if (text === undefined) continue
      const clusters = parseDocument(text).toJS()?.clusters
      if (Array.isArray(clusters) && clusters.some((c) => c?.name === options.clusterArn)) return file
    } catch {
      // Not the file to write; the merge reports the chosen file's own problems.
    }
  }
  return files[0]
}

// A new file gets aws-cli's top-level layout.
function emptyKubeconfig(): Document {
  return new Document({apiVersion: 'v1', clusters: [], contexts: [], 'current-context': '', kind: 'Config', preferences: {}, users: []})
}

function corrupt(file: string, reason: string): CliError {
  return new CliError('usage', `kubeconfig ${file} cannot be parsed (${reason}); nothing was written`, {
    hint: 'fix or move the file away, or write to another one with --kubeconfig',
  })
}

function entryList(doc: Document, key: string, file: string): YAMLSeq {
  const node = doc.get(key, true)
  if (node === undefined || node === null || (typeof node === 'object' && 'value' in node && (node as {value: unknown}).value === null)) {
    doc.set(key, doc.createNode([]))
    return doc.get(key, true) as YAMLSeq
  }
  if (!isSeq(node)) throw corrupt(file, `"${key}" is not a list`)
  for (const item of node.items) if (!isMap(item)) throw corrupt(file, `an entry in "${key}" is not a mapping`)
  return node
}

/** Replaces the entry with the same name in place (keeping its position), or appends it. */
function upsert(doc: Document, list: YAMLSeq, entry: {name: string}): EntryChange {
  const index = list.items.findIndex((item) => (item as YAMLMap).get('name') === entry.name)
  if (index === -1) {
    list.items.push(doc.createNode(entry))
    return 'added'
  }
  const existing = (list.items[index] as YAMLMap).toJSON()
  if (JSON.stringify(existing) === JSON.stringify(entry)) return 'unchanged'
  list.items[index] = doc.createNode(entry)
  return 'updated'
}

// kubectl and aws-cli write "clusters:\n- name: ..."; keep whichever style the file already uses.
function sequencesIndented(text: string): boolean {
  const match = /^(clusters|contexts|users):[ \t]*\r?\n([ \t]*)-/m.exec(text)
  return match ? match[2].length > 0 : false
}

/**
 * Plans the merge of our three entries into a kubeconfig's text, keeping every other entry, the
 * comments and the key order as they were (yaml's Document API edits the parsed tree rather than
 * re-serialising a plain object). A file that does not parse stops the plan: it is never replaced.
 */
export function planKubeconfigMerge(file: string, before: string | undefined, entries: KubeconfigEntries): MergePlan {
  let doc: Document
  if (before === undefined || before.trim() === '') {
    doc = emptyKubeconfig()
  } else {
    doc = parseDocument(before, {uniqueKeys: false})
    if (doc.errors.length > 0) throw corrupt(file, doc.errors[0].message.split('\n')[0])
    if (doc.contents === null) doc.contents = emptyKubeconfig().contents
    if (!isMap(doc.contents)) throw corrupt(file, 'the top level is not a mapping')
    // kubectl reads the last of two "users:" keys; our edit of the first would be lost on it.
    const seen = new Set<unknown>()
    for (const item of doc.contents.items) {
      const key = isScalar(item.key) ? item.key.value : item.key
      if (seen.has(key)) throw corrupt(file, `the top-level key "${String(key)}" appears more than once`)
      seen.add(key)
    }
  }
  const currentBefore = doc.get('current-context')
  const changes = {
    cluster: upsert(doc, entryList(doc, 'clusters', file), entries.cluster),
    user: upsert(doc, entryList(doc, 'users', file), entries.user),
    context: upsert(doc, entryList(doc, 'contexts', file), entries.context),
  }
  doc.set('current-context', entries.context.name)
  // lineWidth 0: never fold the long certificate-authority-data onto several lines.
  const after = doc.toString({lineWidth: 0, indentSeq: before ? sequencesIndented(before) : false})
  return {
    file,
    before,
    after,
    changes,
    currentContext: {before: typeof currentBefore === 'string' && currentBefore !== '' ? currentBefore : undefined, after: entries.context.name},
  }
}

/**
 * The file a write to `file` lands in: `file` itself, or the end of its chain of symlinks, also
 * when that does not exist yet (a dotfiles link to a file still to be made is written, not
 * replaced by a regular file).
 */
export function kubeconfigWriteTarget(file: string): string {
  let current = path.resolve(file)
  for (let hops = 0; hops < 40; hops++) {
    let isLink: boolean
    try {
      isLink = lstatSync(current).isSymbolicLink()
    } catch (error) {
      if (fsCode(error) === 'ENOENT') return current
      throw new CliError('usage', `kubeconfig ${file} cannot be read (${fsCode(error)})`, {cause: error})
    }
    if (!isLink) return current
    current = path.resolve(path.dirname(current), readlinkSync(current))
  }
  throw new CliError('usage', `kubeconfig ${file} cannot be read (ELOOP: too many symlinks)`, {hint: 'point --kubeconfig at a file'})
}

/**
 * Writes a kubeconfig atomically with mode 0600: a temp file in the same directory, fsync, rename.
 * A symlinked kubeconfig is written through to its target (existing or not). An existing file
 * keeps its owner and group (root under `sudo -E` writing a user's file must not take it over).
 * A file without the owner's write bit is refused even for root (who could otherwise rename over
 * it): that mode is someone's decision. If the file changed since `expectedBefore` was read,
 * nothing is written.
 */
export function writeKubeconfigAtomic(file: string, text: string, expectedBefore: string | undefined): void {
  const target = kubeconfigWriteTarget(file)
  let owner: {uid: number; gid: number} | undefined
  let exists = false
  try {
    const stats = statSync(target)
    exists = true
    if (!stats.isFile()) throw new CliError('usage', `kubeconfig ${file} is not a regular file; nothing was written`, {hint: 'point --kubeconfig at a file'})
    if ((stats.mode & 0o200) === 0) {
      throw new CliError('usage', `kubeconfig ${file} is read-only (mode ${(stats.mode & 0o777).toString(8).padStart(4, '0')}); nothing was written`, {
        hint: `make it writable (chmod u+w ${file}) or write to another file with --kubeconfig`,
      })
    }
    // POSIX only: Windows has no uid/gid to keep (and no process.geteuid).
    if (typeof process.geteuid === 'function' && (stats.uid !== process.geteuid() || stats.gid !== process.getegid?.()))
      owner = {uid: stats.uid, gid: stats.gid}
  } catch (error) {
    if (error instanceof CliError) throw error
    if (fsCode(error) !== 'ENOENT') throw new CliError('usage', `kubeconfig ${file} cannot be read (${fsCode(error)})`, {cause: error})
  }
  const dir = path.dirname(target)
  const temp = path.join(dir, `.${path.basename(target)}.elife-k8s-${process.pid}-${randomBytes(4).toString('hex')}.tmp`)
  const notWritten = (error: unknown) =>
    new CliError('usage', `kubeconfig ${file} cannot be written (${fsCode(error)} in ${dir}); nothing was written`, {
      hint: 'check the directory is writable, or write to another file with --kubeconfig',
      cause: error,
    })
  ensureKubeconfigDirectory(file, dir)
  // A new file in someone else's directory (root under `sudo -E`, HOME the user's) is theirs too.
  if (!exists) owner = directoryOwner(dir)
  let fd: number | undefined
  try {
    fd = openSync(temp, 'wx', 0o600)
    writeSync(fd, text)
    if (owner) {
      try {
        fchownSync(fd, owner.uid, owner.gid)
      } catch (error) {
        throw new CliError(
          'usage',
          `kubeconfig ${file} belongs to uid ${owner.uid} gid ${owner.gid}, which cannot be kept on the new file (${fsCode(error)}); nothing was written`,
          {
            hint: "run the command as the file's owner, or write to another file with --kubeconfig",
            cause: error,
          },
        )
      }
    }
    fsyncSync(fd)
    closeSync(fd)
    fd = undefined
    if (readKubeconfigText(target) !== expectedBefore) {
      throw new CliError('conflict', `kubeconfig ${file} changed while it was being updated; nothing was written`, {hint: 'run the command again'})
    }
    renameSync(temp, target)
  } catch (error) {
    if (fd !== undefined) closeSync(fd)
    try {
      unlinkSync(temp)
    } catch {
      // The temp file was never created, or rename already moved it.
    }
    if (error instanceof CliError) throw error
    throw notWritten(error)
  }
}

/**
 * Creates the kubeconfig's directory (0700) if needed, or says in one line why it cannot be: a
 * path inside /proc, or through a regular file, can never exist.
 */
export function ensureKubeconfigDirectory(file: string, dir: string): void {
  let made: string[]
  try {
    made = makeDirectory(dir)
  } catch (error) {
    const failed = (error as NodeJS.ErrnoException).path ?? dir
    throw new CliError('usage', `kubeconfig ${file} cannot be written (${fsCode(error)} creating ${failed}); nothing was written`, {
      hint: 'check the directory is writable, or write to another file with --kubeconfig',
      cause: error,
    })
  }
  // Directories root makes in a user's home (~/.kube under `sudo -E`) belong to that user.
  const owner = made.length > 0 ? directoryOwner(path.dirname(made[0])) : undefined
  if (owner) {
    for (const directory of made) {
      try {
        chownSync(directory, owner.uid, owner.gid)
      } catch (error) {
        throw new CliError('usage', `kubeconfig ${file} cannot be written (${fsCode(error)} giving ${directory} to uid ${owner.uid}); nothing was written`, {
          cause: error,
        })
      }
    }
  }
}

/**
 * Who should own what root creates in `dir`: the directory's owner when we run as root and it is
 * someone else's (a user's home under `sudo -E`); otherwise nobody but us.
 */
function directoryOwner(dir: string): {uid: number; gid: number} | undefined {
  if (process.geteuid?.() !== 0) return undefined
  try {
    const stats = statSync(dir)
    return stats.uid === 0 ? undefined : {uid: stats.uid, gid: stats.gid}
  } catch {
    return undefined
  }
}
