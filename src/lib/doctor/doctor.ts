import type {KubeAccess} from '../kube/clients.js'
import {CliError} from '../errors.js'
import {toCliError} from '../kube/errors.js'
import {type CheckResult, type CheckStatus, type DoctorCheck, type DoctorOptions, runChecks} from './check.js'
import {doctorChecks} from './checks.js'
import {ClusterReader} from './reader.js'

export interface DoctorInput extends Omit<DoctorOptions, 'now'> {
  only: readonly string[]
  skip: readonly string[]
  checkTimeoutMs: number
}

export interface DoctorResult {
  context: string
  server: string
  checks: CheckResult[]
  summary: Record<CheckStatus, number>
}

/** The checks --only/--skip leave, refusing ids that do not exist (a typo must not pass silently). */
export function selectChecks(all: readonly DoctorCheck[], only: readonly string[], skip: readonly string[]): DoctorCheck[] {
  const ids = new Set(all.map((c) => c.id))
  for (const [flag, list] of [
    ['--only', only],
    ['--skip', skip],
  ] as const) {
    const unknown = list.filter((id) => !ids.has(id))
    if (unknown.length > 0) throw new CliError('usage', `${flag} names no check "${unknown[0]}"`, {hint: `the checks are: ${[...ids].join(', ')}`})
  }
  return all.filter((c) => (only.length === 0 || only.includes(c.id)) && !skip.includes(c.id))
}

/**
 * `elife-k8s doctor`: read-only. First one request that tells whether the cluster answers us at
 * all (an unreachable server or refused credentials is the command's failure, exit 5 or 4, not
 * eighteen failed checks); then every selected check at once, each under its own timeout.
 */
export async function runDoctor(access: () => KubeAccess, input: DoctorInput, hooks: {onDone?: (result: CheckResult) => void} = {}): Promise<DoctorResult> {
  // Usage first: a misspelt --only is reported before the kubeconfig is even read.
  const checks = selectChecks(doctorChecks, input.only, input.skip)
  const kube = access()
  const reader = new ClusterReader(kube.kc)
  try {
    await reader.raw('/version', 'get /version')
  } catch (error) {
    throw toCliError(error, {verb: 'reach the cluster', target: '(GET /version)', server: kube.server, context: kube.context})
  }
  const options: DoctorOptions = {...input, now: new Date()}
  let results: CheckResult[]
  try {
    results = await runChecks(checks, {reader, api: kube.api}, options, {timeoutMs: input.checkTimeoutMs, onDone: hooks.onDone})
  } finally {
    reader.dispose()
  }
  const summary: Record<CheckStatus, number> = {ok: 0, warn: 0, fail: 0, skipped: 0}
  for (const result of results) summary[result.status]++
  return {context: kube.context, server: kube.server, checks: results, summary}
}
