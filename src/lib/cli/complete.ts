// What shell completion offers for the word being typed (the hidden `elife-k8s complete` command,
// called by the bash and zsh functions src/hooks/completion.ts adds to @oclif/plugin-autocomplete's).
// Pure: decides what is wanted; the command fetches cluster values (namespaces, releases, pods).
import {homedir} from 'node:os'
import path from 'node:path'

export interface CompletableFlag {
  char?: string
  type: 'boolean' | 'option'
  options?: readonly string[]
  /** -o/--output's formats (src/lib/cli/flags.ts). */
  formats?: readonly string[]
  /** -n's default where it is not the context's (namespaceFlag). */
  defaultNamespace?: string
}

export interface CompletableCommand {
  /** Space-separated, e.g. "helm list". */
  id: string
  aliases: readonly string[]
  flags: Record<string, CompletableFlag>
  args: ReadonlyArray<{name: string; options?: readonly string[]}>
}

export type ClusterValues = 'namespaces' | 'contexts' | 'releases' | 'pods' | 'helmreleases'

export type Wanted =
  /** Commands, topics and flag names: the plugin's own completion. */
  {kind: 'default'} | {kind: 'files'} | {kind: 'values'; values: readonly string[]} | {kind: 'cluster'; what: ClusterValues}

export interface Completion {
  wanted: Wanted
  /** What the candidates must start with (a `--flag=` form keeps its `--flag=`). */
  current: string
  /** Put before each candidate: `--namespace=` when completing `--namespace=ad`. */
  prefix: string
  command?: CompletableCommand
  /** The global flags typed so far, for the cluster calls. */
  typed: {kubeconfig?: string; context?: string; namespace?: string; allNamespaces: boolean}
}

const clusterArgs: Record<string, ClusterValues> = {release: 'releases', pod: 'pods', helmrelease: 'helmreleases'}

function valuesOf(name: string, flag: CompletableFlag): Wanted {
  if (flag.options) return {kind: 'values', values: flag.options}
  if (flag.formats) return {kind: 'values', values: flag.formats}
  if (name === 'context') return {kind: 'cluster', what: 'contexts'}
  if (name === 'namespace' || name.endsWith('-namespace') || name === 'k8s-fwd-ns') return {kind: 'cluster', what: 'namespaces'}
  return {kind: 'files'}
}

/** `words`: what follows the program name on the line, the last one being the word under the cursor (maybe ''). */
export function whatToComplete(words: readonly string[], commands: readonly CompletableCommand[]): Completion {
  const current = words.at(-1) ?? ''
  const before = words.slice(0, -1)
  const typed: Completion['typed'] = {allNamespaces: false}
  let command: CompletableCommand | undefined
  let width = 0
  for (const candidate of commands) {
    for (const id of [candidate.id, ...candidate.aliases]) {
      const idWords = id.split(' ')
      if (idWords.length > width && idWords.every((w, i) => before[i] === w)) {
        command = candidate
        width = idWords.length
      }
    }
  }
  const none = {current, prefix: '', typed}
  if (!command) return {wanted: {kind: 'default'}, ...none}
  const byChar = new Map(Object.entries(command.flags).flatMap(([name, f]) => (f.char ? [[f.char, name] as const] : [])))
  let positional = 0
  let pending: string | undefined
  let flagsEnded = false
  const record = (name: string, value: string) => {
    // The shell passes the words as typed: `~/x` is expanded when the command runs, not here.
    if (name === 'kubeconfig') typed.kubeconfig = value === '~' ? homedir() : value.startsWith('~/') ? path.join(homedir(), value.slice(2)) : value
    else if (name === 'context') typed.context = value
    else if (name === 'namespace') typed.namespace = value
  }
  for (const word of before.slice(width)) {
    if (pending) {
      record(pending, word)
      pending = undefined
    } else if (!flagsEnded && word === '--') {
      flagsEnded = true
    } else if (!flagsEnded && word.startsWith('--')) {
      const [name, ...value] = word.slice(2).split('=')
      if (name === 'all-namespaces') typed.allNamespaces = true
      const flag = command.flags[name]
      if (value.length > 0) record(name, value.join('='))
      else if (flag && flag.type !== 'boolean') pending = name
    } else if (!flagsEnded && /^-[A-Za-z]/.test(word)) {
      const name = byChar.get(word[1])
      if (name === 'all-namespaces') typed.allNamespaces = true
      const flag = name ? command.flags[name] : undefined
      if (name && word.length > 2) record(name, word.slice(2).replace(/^=/, ''))
      else if (name && flag && flag.type !== 'boolean') pending = name
    } else {
      positional++
    }
  }
  if (typed.namespace === undefined && command.flags.namespace?.defaultNamespace) typed.namespace = command.flags.namespace.defaultNamespace
  const found = {current, prefix: '', typed, command}
  if (pending) return {...found, wanted: valuesOf(pending, command.flags[pending])}
  if (!flagsEnded && current.startsWith('--') && current.includes('=')) {
    const name = current.slice(2, current.indexOf('='))
    const flag = command.flags[name]
    if (!flag || flag.type === 'boolean') return {...found, wanted: {kind: 'default'}}
    const prefix = current.slice(0, current.indexOf('=') + 1)
    return {...found, current: current.slice(prefix.length), prefix, wanted: valuesOf(name, flag)}
  }
  if (!flagsEnded && current.startsWith('-')) return {...found, wanted: {kind: 'default'}}
  const arg = command.args[positional]
  if (!arg) return {...found, wanted: {kind: 'default'}}
  if (arg.options) return {...found, wanted: {kind: 'values', values: arg.options}}
  const what = clusterArgs[arg.name]
  return {...found, wanted: what ? {kind: 'cluster', what} : {kind: 'files'}}
}

/** The lines the shell functions read: a directive (:values, :files or :default), then the candidates. */
export function completionOutput(completion: Completion, clusterValues: readonly string[] = []): string {
  const {wanted} = completion
  if (wanted.kind === 'default' || wanted.kind === 'files') return `:${wanted.kind}\n`
  const values = wanted.kind === 'values' ? wanted.values : clusterValues
  const candidates = [...new Set(values)].filter((v) => v.startsWith(completion.current)).sort()
  return [':values', ...candidates.map((v) => completion.prefix + v)].join('\n') + '\n'
}
