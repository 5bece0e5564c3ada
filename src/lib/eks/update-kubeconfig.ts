import path from 'node:path'

import type {EKSClient} from '@aws-sdk/client-eks'
import {parseDocument} from 'yaml'

import {CliError} from '../errors.js'
import {parseRoleArn} from './arn.js'
import {describeCluster, type EksCluster} from './cluster.js'
import {type EntryOptions, type KubeconfigEntries, kubeconfigEntries} from './kubeconfig-entries.js'
import {
  chooseKubeconfigFile,
  ensureKubeconfigDirectory,
  type MergePlan,
  planKubeconfigMerge,
  readKubeconfigText,
  writeKubeconfigAtomic,
} from './kubeconfig-file.js'
import {type LockOptions, waitForKubeconfigLock, withKubeconfigLock} from './kubeconfig-lock.js'

/** The entry options (role, profile, aliases, authenticator), with the cluster still to be read. */
export interface UpdateKubeconfigOptions extends Omit<EntryOptions, 'cluster'> {
  /** An EKS client for the cluster's region (and profile); tests hand one pointed at moto. */
  eks: EKSClient
  clusterName: string
  region: string
  /** --kubeconfig; else KUBECONFIG / ~/.kube/config from `env`. */
  kubeconfig?: string
  env: NodeJS.ProcessEnv
}

export interface KubeconfigUpdatePlan {
  cluster: EksCluster
  entries: KubeconfigEntries
  merge: MergePlan
}

/** Reads the cluster and computes the whole new file; changes nothing. */
export async function planKubeconfigUpdate(options: UpdateKubeconfigOptions): Promise<KubeconfigUpdatePlan> {
  if (options.roleArn) parseRoleArn(options.roleArn)
  const cluster = await describeCluster(options.eks, options.clusterName, {region: options.region, profile: options.profile})
  const {eks: _eks, clusterName: _name, region: _region, kubeconfig, env, ...entryOptions} = options
  const entries = kubeconfigEntries({...entryOptions, cluster})
  const file = chooseKubeconfigFile({kubeconfig, env, clusterArn: cluster.arn})
  const merge = planKubeconfigMerge(file, readKubeconfigText(file), entries)
  return {cluster, entries, merge}
}

/**
 * Waits (interruptibly) while kubectl or another program holds the kubeconfig's lock; then
 * applyKubeconfigUpdate rarely has to wait itself.
 */
export async function waitForKubeconfigUnlocked(plan: KubeconfigUpdatePlan, lock: LockOptions = {}): Promise<void> {
  await waitForKubeconfigLock(plan.merge.file, lock)
}

/**
 * Writes the planned entries under kubectl's lock (`<file>.lock`): the file is read again and the
 * merge planned again under it, so a kubectl or another elife-k8s that wrote meanwhile keeps its
 * entries. Then reads the file back and confirms the context is there and current. Returns the
 * merge as written (what changed against the file as it was under the lock).
 */
export function applyKubeconfigUpdate(plan: KubeconfigUpdatePlan, lock: LockOptions = {}): MergePlan {
  const {entries} = plan
  const {file} = plan.merge
  // The lock lives beside the file: its directory first, or one line saying why it cannot be.
  ensureKubeconfigDirectory(file, path.dirname(path.resolve(file)))
  return withKubeconfigLock(
    file,
    () => {
      const before = readKubeconfigText(file)
      const merge = planKubeconfigMerge(file, before, entries)
      writeKubeconfigAtomic(file, merge.after, before)
      const written = parseDocument(readKubeconfigText(file) ?? '').toJS() as {
        'current-context'?: string
        contexts?: Array<{name?: string; context?: {cluster?: string; user?: string}}>
      } | null
      const context = written?.contexts?.find((c) => c?.name === entries.context.name)
      if (written?.['current-context'] !== entries.context.name || context?.context?.user !== entries.user.name) {
        throw new CliError('conflict', `kubeconfig ${file} does not hold context "${entries.context.name}" after writing it`, {
          hint: 'another program may be editing the file; run the command again',
        })
      }
      return merge
    },
    lock,
  )
}
