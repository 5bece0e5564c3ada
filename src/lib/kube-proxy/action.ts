import {AppsV1Api, CoreV1Api, VersionApi} from '@kubernetes/client-node'

import type {ActionContext, ChangeAction, PlanDescription, ReadAction} from '../cli/action.js'
import {NoAwsRegion, withEksClient} from '../eks/clients.js'
import {CliError} from '../errors.js'
import {plural} from '../render/number.js'
import {type Finding, runChecks} from './checks.js'
import {isBindAddress} from './config.js'
import {describeKubeProxyOnEks, type EksKubeProxyInfo} from './eks.js'
import {confirmWritten, finishRestart, type FixPlan, planFix, startRestart, waitForRestart, WrittenConfigMismatch, writeConfig} from './fix.js'
import {configMapName, type KubeProxyClients, type KubeProxyState, kubeProxyImage, podsByNode, readKubeProxyState, savedStrategyAnnotation} from './state.js'
import {parseVersion} from './version.js'

/**
 * `kube-proxy fix` as actions (docs/architecture.md): kubeProxyCheck (--check, read-only) and
 * kubeProxyFix (plan -> describe -> execute). bootstrap's kube-proxy step runs kubeProxyFix too.
 */

export interface KubeProxyInput {
  namespace: string
  /** --bind-address: the metricsBindAddress kube-proxy should listen on. */
  bindAddress: string
  /** The flag that gave bindAddress, for the refusal line (bootstrap: --kube-proxy-bind-address). */
  bindAddressFlag?: string
  /** --image TAG. */
  imageTag?: string
  /** --eks-cluster / --region: compare with the version EKS recommends. */
  eks?: {cluster: string; region?: string}
  /** --timeout, for the restart. */
  timeoutMs: number
  /** Print each finding as a ✔/✗/◎ step line while planning (the command does; bootstrap's check does not). */
  reportFindings: boolean
}

export interface KubeProxyFixResult {
  namespace: string
  mode: 'check' | 'fix'
  findings: Finding[]
  /** The plan (fix mode); absent under --check. */
  plan?: Omit<FixPlan, 'updatedConfig'>
  dryRun: boolean
  changed: boolean
  nodesRestarted: string[]
  /** After the run, read again from the cluster. */
  now?: {metricsBindAddress: string; image: string; nodesReady: number; nodes: number}
}

export interface KubeProxyPlan {
  input: KubeProxyInput
  state: KubeProxyState
  findings: Finding[]
  fix: FixPlan
}

function clients(ctx: ActionContext): KubeProxyClients {
  const {kube} = ctx.io
  return {core: kube.api(CoreV1Api), apps: kube.api(AppsV1Api), version: kube.api(VersionApi)}
}

function readState(ctx: ActionContext, namespace: string): Promise<KubeProxyState> {
  return ctx.io.callApi({verb: 'read kube-proxy', target: `in ${namespace}`}, () => readKubeProxyState(clients(ctx), namespace))
}

/** What EKS says about kube-proxy (--eks-cluster); skipped without a region or credentials: the comparison is optional. */
async function eksInfo(input: KubeProxyInput, apiServerVersion: string): Promise<EksKubeProxyInfo | undefined> {
  if (!input.eks) return undefined
  const {cluster} = input.eks
  const version = parseVersion(apiServerVersion)
  const clusterVersion = version ? `${version.major}.${version.minor}` : apiServerVersion
  try {
    return await withEksClient({cluster, region: input.eks.region}, (eks) => describeKubeProxyOnEks(eks, cluster, clusterVersion))
  } catch (error) {
    if (error instanceof NoAwsRegion) return {skipped: true, reason: 'no AWS region (pass --region or set AWS_REGION)'}
    if (error instanceof CliError) throw error
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
    throw new CliError('unreachable', `cannot ask EKS about kube-proxy on cluster ${cluster}: ${message}`, {
      hint: 'check --eks-cluster and --region, or leave them out to skip the EKS comparison',
    })
  }
}

function reportFindings(ctx: ActionContext, findings: Finding[]): void {
  for (const finding of findings) {
    if (finding.status === 'ok') ctx.io.steps.success(finding.message)
    else if (finding.status === 'failed') ctx.io.steps.failure(finding.message)
    else ctx.io.steps.waiting(finding.message)
  }
}

/** Validates the input, reads kube-proxy (and EKS), and runs the checks. Changes nothing. */
async function inspect(ctx: ActionContext, input: KubeProxyInput): Promise<{state: KubeProxyState; eks?: EksKubeProxyInfo; findings: Finding[]}> {
  if (!isBindAddress(input.bindAddress)) {
    throw new CliError('usage', `${input.bindAddressFlag ?? '--bind-address'} "${input.bindAddress}" is not IP:port`, {
      hint: 'use e.g. 0.0.0.0:10249 or [::]:10249',
    })
  }
  const state = await readState(ctx, input.namespace)
  const eks = await eksInfo(input, state.apiServerVersion)
  const findings = runChecks(state, {bindAddress: input.bindAddress, eks})
  if (input.reportFindings) reportFindings(ctx, findings)
  return {state, eks, findings}
}

/** `kube-proxy fix --check`: the findings; the command fails (exit 6) when any is ✗ (checkFailed). */
export const kubeProxyCheck: ReadAction<KubeProxyInput, KubeProxyFixResult> = {
  async run(ctx, input) {
    const {findings} = await inspect(ctx, input)
    return {namespace: input.namespace, mode: 'check', findings, dryRun: false, changed: false, nodesRestarted: []}
  },
}

/** The check's failure line (exit 6), or undefined when every check passes. */
export function checkFailure(result: KubeProxyFixResult): CliError | undefined {
  const failed = result.findings.filter((f) => f.status === 'failed')
  if (failed.length === 0) return undefined
  return new CliError('check-failed', `kube-proxy in ${result.namespace}: ${failed.length} of ${result.findings.length} checks failed (see the ✗ lines)`, {
    hint: 'run `elife-k8s kube-proxy fix --dry-run` to see what fix would change',
  })
}

/** The final line of a check that passed. */
export function checkPassed(result: KubeProxyFixResult): string {
  return `kube-proxy in ${result.namespace}: all ${result.findings.filter((f) => f.status === 'ok').length} checks pass`
}

/** The changes of a plan, one line each, as `--dry-run` prints them (bootstrap shows them too). */
export function planChanges(plan: FixPlan): string[] {
  const changes: string[] = []
  if (plan.metricsBindAddress.changed)
    changes.push(`set metricsBindAddress ${plan.metricsBindAddress.from} → ${plan.metricsBindAddress.to} in configmap "${configMapName}"`)
  if (plan.image.changed) changes.push(`set image ${plan.image.from} → ${plan.image.to} (${plan.image.why})`)
  if (plan.restart.needed) changes.push(`restart kube-proxy one node at a time on ${plan.restart.nodes.length} nodes (${plan.restart.why})`)
  return changes
}

/** What is true after a fix (or a run with nothing to do): the command's and bootstrap's last line. */
export function describeNow(result: KubeProxyFixResult): string {
  if (result.now)
    return `kube-proxy in ${result.namespace} now serves metrics on ${result.now.metricsBindAddress}, runs ${result.now.image}, and is Ready on ${result.now.nodesReady}/${result.now.nodes} nodes`
  const plan = result.plan
  return plan
    ? `kube-proxy in ${result.namespace} is already fixed: metricsBindAddress ${plan.metricsBindAddress.to}, image ${plan.image.to}, every pod current and Ready`
    : checkPassed(result)
}

/** A failure after something was changed: the line also says what is changed now. */
function alreadyChanged(error: unknown, changed: string[]): unknown {
  if (changed.length === 0 || !(error instanceof CliError)) return error
  return new CliError(error.kind, `${error.message} (already changed: ${changed.join('; ')})`, {hint: error.hint, cause: error.cause})
}

function shown(plan: KubeProxyPlan): Omit<FixPlan, 'updatedConfig'> {
  const {updatedConfig: _config, ...rest} = plan.fix
  return rest
}

function notExecuted(plan: KubeProxyPlan, why: 'dry-run' | 'nothing-to-do'): KubeProxyFixResult {
  return {
    namespace: plan.input.namespace,
    mode: 'fix',
    findings: plan.findings,
    plan: shown(plan),
    dryRun: why === 'dry-run',
    changed: false,
    nodesRestarted: [],
  }
}

/**
 * `kube-proxy fix`: set metricsBindAddress (only that value; read back and parsed before any
 * restart), the image when asked or when the skew policy needs it, then restart kube-proxy one node
 * at a time through the DaemonSet controller, and read back what is true now.
 */
export const kubeProxyFix: ChangeAction<KubeProxyInput, KubeProxyPlan, KubeProxyFixResult> = {
  async plan(ctx, input) {
    const {state, eks, findings} = await inspect(ctx, input)
    const fix = planFix(state, {bindAddress: input.bindAddress, imageTag: input.imageTag, eks})
    return {input, state, findings, fix}
  },

  describe(plan): PlanDescription {
    const changes = planChanges(plan.fix)
    const {namespace} = plan.input
    return {
      changes,
      confirm: `change kube-proxy in ${namespace} (${plural(changes.length, 'step')} above)`,
      nothingToDo: describeNow(notExecuted(plan, 'nothing-to-do')),
    }
  },

  notExecuted,

  async execute(ctx, plan) {
    const {input, state, fix} = plan
    const {namespace} = input
    const {io} = ctx
    const kp = clients(ctx)
    let nodesRestarted: string[] = []
    // What has been changed so far, so that a failure further on says what is true now.
    const changed: string[] = []
    try {
      let restartPlan = fix
      if (fix.metricsBindAddress.changed) {
        await io.callApi({verb: 'update configmap', target: `"${configMapName}" in ${namespace}`}, () => writeConfig(kp, state, fix))
        changed.push(`configmap "${configMapName}" now sets metricsBindAddress ${fix.metricsBindAddress.to} (was ${fix.metricsBindAddress.from})`)
        io.steps.success(`${configMapName}: metricsBindAddress ${fix.metricsBindAddress.from} → ${fix.metricsBindAddress.to} (no other byte changed)`)
        // Never restart kube-proxy onto a config it cannot read: read back what is stored and parse it first.
        let written: string
        try {
          written = await io.callApi({verb: 'read configmap', target: `"${configMapName}" in ${namespace}`}, () => confirmWritten(kp, state, fix))
        } catch (error) {
          // Its message says what the ConfigMap holds now (ours put back, or someone else's).
          if (error instanceof WrittenConfigMismatch) changed.length = 0
          throw error
        }
        restartPlan = {...fix, updatedConfig: written}
        io.steps.success(`${configMapName} read back: it parses as ${fix.configFormat.toUpperCase()} and sets metricsBindAddress ${fix.metricsBindAddress.to}`)
      }
      if (fix.restart.needed || fix.image.changed) {
        // An unfinished earlier restart (its saved strategy still there) is only followed, not started again.
        if (state.daemonSet.metadata?.annotations?.[savedStrategyAnnotation] === undefined || fix.image.changed || fix.metricsBindAddress.changed) {
          await io.callApi({verb: 'update daemonset', target: `"kube-proxy" in ${namespace}`}, () => startRestart(kp, state, restartPlan))
          changed.push(`daemonset "kube-proxy" is restarting its pods one node at a time${fix.image.changed ? ` with image ${fix.image.to}` : ''}`)
        }
        io.steps.action(
          `restarting kube-proxy one node at a time on ${fix.restart.nodes.length} nodes${fix.image.changed ? ` with image ${fix.image.to}` : ''}`,
        )
        const outcome = await io.callApi({verb: 'watch kube-proxy pods', target: `in ${namespace}`}, () =>
          waitForRestart(kp, namespace, {
            timeoutMs: input.timeoutMs,
            onNodeDone: (node, pod, done, total) => io.steps.success(`${node}: ${pod} Running and Ready (${done}/${total})`),
            onProgress: (message) => io.steps.progress(message),
            onRetry: (message) => io.steps.warning(message),
          }),
        )
        nodesRestarted = outcome.nodesDone
        await io.callApi({verb: 'update daemonset', target: `"kube-proxy" in ${namespace}`}, () => finishRestart(kp, namespace))
        io.steps.success('DaemonSet update strategy put back as it was')
      }
    } catch (error) {
      throw alreadyChanged(error, changed)
    }
    io.steps.done()
    const after = await readState(ctx, namespace)
    const afterFindings = runChecks(after, {bindAddress: input.bindAddress}).filter((f) => f.check !== 'eks-recommended')
    const rows = podsByNode(after)
    const now = {
      metricsBindAddress: input.bindAddress,
      image: kubeProxyImage(after.daemonSet),
      nodesReady: rows.filter((row) => row.ready).length,
      nodes: after.daemonSet.status?.desiredNumberScheduled ?? rows.length,
    }
    const stillFailing = afterFindings.filter((f) => f.status === 'failed' && f.check !== 'kubelet-skew')
    if (stillFailing.length > 0) {
      for (const finding of stillFailing) io.steps.failure(finding.message)
      const configNow = fix.metricsBindAddress.changed
        ? `configmap "${configMapName}" now sets metricsBindAddress ${fix.metricsBindAddress.to} (was ${fix.metricsBindAddress.from})`
        : `configmap "${configMapName}" was not changed`
      throw new CliError(
        'check-failed',
        `kube-proxy in ${namespace} is not fixed yet (${plural(stillFailing.length, 'check')} still failing, see the ✗ lines); ${configNow}`,
        {hint: 'run the command again'},
      )
    }
    return {namespace, mode: 'fix', findings: plan.findings, plan: shown(plan), dryRun: false, changed: true, nodesRestarted, now}
  },
}
