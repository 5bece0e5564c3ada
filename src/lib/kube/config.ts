import {existsSync} from 'node:fs'
import {homedir} from 'node:os'
import path from 'node:path'

import {KubeConfig} from '@kubernetes/client-node'
import type {Cluster, Context, User} from '@kubernetes/client-node'

import {CliError} from '../errors.js'

export interface KubeConfigOptions {
  /** --kubeconfig: one explicit file; when given, KUBECONFIG is ignored (as kubectl does). */
  kubeconfig?: string
  /** --context: a context name that must exist in the merged config. */
  context?: string
  /** Environment to read KUBECONFIG/HOME from (tests pass their own). */
  env?: NodeJS.ProcessEnv
}

export interface LoadedKubeConfig {
  kc: KubeConfig
  /** The files that were read, in precedence order (for messages). */
  files: string[]
  /** The context in use. */
  context: string
  /** The server URL of that context's cluster. */
  server: string
}

/** The files kubectl would read: --kubeconfig, else the KUBECONFIG list, else ~/.kube/config. */
export function kubeconfigFiles(options: KubeConfigOptions = {}): {files: string[]; explicit: boolean} {
  const env = options.env ?? process.env
  if (options.kubeconfig) return {files: [path.resolve(options.kubeconfig)], explicit: true}
  const list = env.KUBECONFIG ?? ''
  if (list.length > 0) {
    // kubectl dedupes the list and skips empty entries.
    const files = [
      ...new Set(
        list
          .split(path.delimiter)
          .filter(Boolean)
          .map((f) => path.resolve(f)),
      ),
    ]
    return {files, explicit: false}
  }
  const home = env.HOME ?? homedir()
  return {files: [path.join(home, '.kube', 'config')], explicit: false}
}

function readOne(file: string): KubeConfig {
  const kc = new KubeConfig()
  try {
    // loadFromFile also makes certificate/key paths absolute relative to the file, as kubectl does.
    kc.loadFromFile(file)
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
    throw new CliError('usage', `kubeconfig ${file} cannot be parsed (${reason})`, {
      hint: 'fix or remove the file, or point --kubeconfig at another one',
      cause: error,
    })
  }
  return kc
}

/**
 * Merges kubeconfig files with kubectl's rules, which differ from client-node's own loader:
 * the first file to define a cluster/user/context name wins (later duplicates are ignored, not
 * an error), the first file that sets current-context wins, and missing files in the KUBECONFIG
 * list are skipped. An explicit --kubeconfig must exist.
 */
export function mergeKubeConfigs(configs: KubeConfig[]): KubeConfig {
  const clusters = new Map<string, Cluster>()
  const users = new Map<string, User>()
  const contexts = new Map<string, Context>()
  let currentContext = ''
  for (const kc of configs) {
    for (const c of kc.getClusters()) if (!clusters.has(c.name)) clusters.set(c.name, c)
    for (const u of kc.getUsers()) if (!users.has(u.name)) users.set(u.name, u)
    for (const x of kc.getContexts()) if (!contexts.has(x.name)) contexts.set(x.name, x)
    if (!currentContext && kc.getCurrentContext()) currentContext = kc.getCurrentContext()
  }
  const merged = new KubeConfig()
  merged.loadFromOptions({
    clusters: [...clusters.values()],
    users: [...users.values()],
    contexts: [...contexts.values()],
    currentContext,
  })
  return merged
}

export function loadKubeConfig(options: KubeConfigOptions = {}): LoadedKubeConfig {
  const {files, explicit} = kubeconfigFiles(options)
  const present = files.filter((f) => existsSync(f))
  if (explicit && present.length === 0) {
    throw new CliError('usage', `kubeconfig ${files[0]} does not exist`, {
      hint: 'check the --kubeconfig path, or run `elife-k8s kubeconfig --cluster NAME` to write one',
    })
  }
  if (present.length === 0) {
    throw new CliError('usage', `no kubeconfig found (looked in ${files.join(', ')})`, {
      hint: 'set KUBECONFIG or --kubeconfig, or run `elife-k8s kubeconfig --cluster NAME` to write one',
    })
  }
  const kc = mergeKubeConfigs(present.map((f) => readOne(f)))
  const where = present.length === 1 ? present[0] : `${present.length} kubeconfig files`
  if (options.context) {
    if (!kc.getContextObject(options.context)) {
      const known = kc.getContexts().map((c) => c.name)
      throw new CliError('usage', `context "${options.context}" is not in ${where}`, {
        hint: known.length > 0 ? `known contexts: ${known.join(', ')}` : 'the kubeconfig has no contexts',
      })
    }
    kc.setCurrentContext(options.context)
  }
  const context = kc.getCurrentContext()
  if (!context) {
    throw new CliError('usage', `${where} has no current-context`, {
      hint: 'pass --context NAME or run `kubectl config use-context NAME`',
    })
  }
  const ctx = kc.getContextObject(context)
  if (!ctx) {
    throw new CliError('usage', `current-context "${context}" is not defined in ${where}`, {
      hint: 'pass --context NAME for a context that exists',
    })
  }
  const cluster = kc.getCluster(ctx.cluster)
  if (!cluster?.server) {
    throw new CliError('usage', `context "${context}" points at cluster "${ctx.cluster}", which ${where} does not define`, {
      hint: 'fix the kubeconfig or pick another --context',
    })
  }
  if (ctx.user && !kc.getUser(ctx.user)) {
    throw new CliError('usage', `context "${context}" points at user "${ctx.user}", which ${where} does not define`, {
      hint: 'fix the kubeconfig or pick another --context',
    })
  }
  return {kc, files: present, context, server: cluster.server}
}

/** The namespace of the current context, else "default" (as kubectl resolves it). */
export function contextNamespace(kc: KubeConfig): string {
  const ctx = kc.getContextObject(kc.getCurrentContext())
  return ctx?.namespace || 'default'
}
