import type {ActionContext, ChangeAction, PlanDescription, ReadAction} from '../cli/action.js'
import {withEksClient} from './clients.js'
import {elifeK8sExecCommand} from './exec-command.js'
import type {ExecCredential} from './exec-credential.js'
import type {Authenticator, KubeconfigEntries} from './kubeconfig-entries.js'
import type {EntryChange} from './kubeconfig-file.js'
import type {LockOptions} from './kubeconfig-lock.js'
import {getExecCredential} from './token.js'
import {applyKubeconfigUpdate, type KubeconfigUpdatePlan, planKubeconfigUpdate, waitForKubeconfigUnlocked} from './update-kubeconfig.js'

/**
 * The EKS commands as actions (docs/architecture.md): `kubeconfig` (plan -> describe -> execute)
 * and `token` (read-only). bootstrap's kubeconfig step runs kubeconfigAction too.
 */

export interface KubeconfigInput {
  cluster: string
  region?: string
  roleArn?: string
  /** --profile (else AWS_PROFILE): reads the cluster, and is carried into the user entry. */
  profile?: string
  alias?: string
  userAlias?: string
  authenticator: Authenticator
  /** --kubeconfig; else KUBECONFIG / ~/.kube/config. */
  kubeconfig?: string
  env: NodeJS.ProcessEnv
  /** The running bin script (process.argv[1]), for the exec entry (./exec-command.ts). */
  script: string
}

export interface KubeconfigResult {
  /** The kubeconfig file written (or that would be, under --dry-run). */
  file: string
  dryRun: boolean
  /** Whether this run wrote the file (false: --dry-run, or nothing to change). */
  written: boolean
  cluster: {name: string; arn: string; region: string; status: string; endpoint: string; version?: string}
  context: string
  user: string
  authenticator: Authenticator
  /** What kubectl will run for a token: command and arguments. */
  exec: string[]
  changes: {cluster: EntryChange; user: EntryChange; context: EntryChange}
  currentContext: {before?: string; after: string}
  entries: KubeconfigEntries
}

export interface KubeconfigPlan {
  input: KubeconfigInput
  update: KubeconfigUpdatePlan
}

function result(
  plan: KubeconfigPlan,
  dryRun: boolean,
  written: boolean,
  merge: Pick<KubeconfigUpdatePlan['merge'], 'changes' | 'currentContext'> = plan.update.merge,
): KubeconfigResult {
  const {cluster, entries} = plan.update
  const {exec} = entries.user.user
  return {
    file: plan.update.merge.file,
    dryRun,
    written,
    cluster: {name: cluster.name, arn: cluster.arn, region: cluster.region, status: cluster.status, endpoint: cluster.endpoint, version: cluster.version},
    context: entries.context.name,
    user: entries.user.name,
    authenticator: plan.input.authenticator,
    exec: [exec.command, ...exec.args],
    changes: merge.changes,
    currentContext: merge.currentContext,
    entries,
  }
}

/** "cluster added, user updated, context unchanged". */
export function describeChanges(changes: KubeconfigResult['changes']): string {
  return `cluster ${changes.cluster}, user ${changes.user}, context ${changes.context}`
}

/** The line that says what is true after a write. */
export function describeWritten(result: KubeconfigResult): string {
  const via = result.authenticator === 'aws-cli' ? 'exec aws eks get-token' : 'exec elife-k8s token'
  return `context "${result.context}" is now current in ${result.file} (user ${result.user}, ${via}; ${describeChanges(result.changes)})`
}

/**
 * `kubeconfig`: read the cluster from EKS (DescribeCluster), then merge its cluster, user and
 * context entries into the kubeconfig under kubectl's lock and make the context current.
 */
export const kubeconfigAction: ChangeAction<KubeconfigInput, KubeconfigPlan, KubeconfigResult> = {
  async plan(ctx, input) {
    const {env} = input
    const profile = input.profile ?? env.AWS_PROFILE
    const exec = elifeK8sExecCommand(input.script, env)
    const update = await withEksClient(
      {cluster: input.cluster, region: input.region, profile: input.profile},
      (eks, region) => {
        ctx.io.steps.action(`reading EKS cluster "${input.cluster}" in ${region}`)
        return planKubeconfigUpdate({
          eks,
          clusterName: input.cluster,
          region,
          roleArn: input.roleArn,
          profile,
          contextAlias: input.alias,
          userAlias: input.userAlias,
          authenticator: input.authenticator,
          elifeK8sCommand: exec.command,
          elifeK8sArgs: exec.args,
          kubeconfig: input.kubeconfig,
          env,
        })
      },
      env,
    )
    return {input, update}
  },

  describe(plan): PlanDescription {
    const {entries, merge} = plan.update
    const names = {cluster: entries.cluster.name, user: entries.user.name, context: entries.context.name}
    const changes: string[] = []
    for (const entry of ['cluster', 'user', 'context'] as const) {
      const change = merge.changes[entry]
      if (change !== 'unchanged') changes.push(`${change === 'added' ? 'add' : 'update'} ${entry} "${names[entry]}" in ${merge.file}`)
    }
    const {before} = merge.currentContext
    if (before !== names.context) changes.push(`make context "${names.context}" current${before ? ` (was "${before}")` : ''}`)
    return {
      changes,
      confirm: `write ${merge.file}`,
      nothingToDo: `context "${names.context}" is already in ${merge.file} and current (${describeChanges(merge.changes)})`,
    }
  },

  notExecuted(plan, why) {
    return result(plan, why === 'dry-run', false)
  },

  async execute(ctx, plan) {
    // Under the lock the file is read again: what changed is said against the file as written.
    let told = false
    const lock: LockOptions = {
      onWait: (lockFile: string) => {
        if (!told) ctx.io.steps.waiting(`waiting for ${lockFile} (kubectl or another program is writing ${plan.update.merge.file})`)
        told = true
      },
    }
    // Waits for another program's lock without blocking, so Ctrl-C still works meanwhile.
    await waitForKubeconfigUnlocked(plan.update, lock)
    const written = applyKubeconfigUpdate(plan.update, lock)
    return result(plan, false, true, written)
  },
}

export interface TokenInput {
  cluster: string
  region?: string
  roleArn?: string
  profile?: string
  env: NodeJS.ProcessEnv
}

/** `token`: the ExecCredential kubectl asks for (cached, else signed). */
export const tokenAction: ReadAction<TokenInput, ExecCredential> = {
  async run(_ctx: ActionContext, input) {
    const {credential} = await getExecCredential({cluster: input.cluster, region: input.region, roleArn: input.roleArn, profile: input.profile}, input.env)
    return credential
  },
}
