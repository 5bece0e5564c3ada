import type {CoreV1Api, V1Secret} from '@kubernetes/client-node'

import {CliError} from '../errors.js'
import {isConflict, isNotFound} from '../kube/errors.js'
import {redactedDiff} from './redact.js'

/** The data key prometheus-operator reads, as in the runbook's `--from-file=alertmanager.yaml`. */
export const configKey = 'alertmanager.yaml'

/**
 * The content an apply replaced is kept in a sibling Secret `<secret>-previous`, not in an
 * annotation: annotations are printed by `kubectl describe` and `get -o yaml` and are not covered
 * by the RBAC rules that guard secrets, and they are capped at 256 KiB per object. The sibling is
 * a Secret like the original, readable by exactly those who can read the original.
 */
export function previousSecretName(secret: string): string {
  return `${secret}-previous`
}

const annotationPrefix = 'alertmanager.elife-k8s.elifesciences.org'
/** What the secret held before: `present` (its alertmanager.yaml is kept), `no-key`, or `absent`. */
export const previousStateAnnotation = `${annotationPrefix}/previous-state`
export const previousOfAnnotation = `${annotationPrefix}/previous-of`
export const savedAtAnnotation = `${annotationPrefix}/saved-at`
/** A rollback in flight keeps the content it replaces here until the swap is complete. */
const pendingKey = `${configKey}.rolled-back`

type PreviousState = 'present' | 'no-key' | 'absent'

export interface SecretTarget {
  namespace: string
  secret: string
}

/** What an apply or rollback will do (or did). Holds no configuration text: safe to print. */
export interface AlertmanagerChange {
  namespace: string
  secret: string
  previousSecret: string
  /** create: the secret is missing; update: its alertmanager.yaml changes; unchanged: already so. */
  action: 'create' | 'update' | 'unchanged'
  /** The redacted diff of alertmanager.yaml, current -> new. */
  diff: string[]
}

/** The parts of a plan that must never be printed: the current secret and its configuration. */
interface PlanState {
  current?: V1Secret
  currentConfig?: string
}

export interface ApplyPlan extends AlertmanagerChange {
  readonly state: PlanState
}

function decode(secret: V1Secret | undefined, key = configKey): string | undefined {
  const data = secret?.data?.[key]
  return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8')
}

function encode(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64')
}

async function readSecret(core: CoreV1Api, namespace: string, name: string): Promise<V1Secret | undefined> {
  try {
    return await core.readNamespacedSecret({name, namespace})
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw error
  }
}

/** 404 on a secret says nothing about whether the namespace exists; ask, so the message can. */
async function assertNamespace(core: CoreV1Api, namespace: string): Promise<void> {
  try {
    await core.readNamespace({name: namespace})
  } catch (error) {
    if (isNotFound(error)) {
      throw new CliError('not-found', `namespace "${namespace}" does not exist`, {hint: 'pick the namespace Alertmanager runs in with -n (the runbook uses adm)'})
    }
    // Not allowed to read namespaces: the secret call will say what is wrong.
  }
}

/** Reads the secret and computes what an apply of `rendered` would change. Touches nothing. */
export async function planApply(core: CoreV1Api, target: SecretTarget, rendered: string, knownSecrets: readonly string[]): Promise<ApplyPlan> {
  const current = await readSecret(core, target.namespace, target.secret)
  if (!current) await assertNamespace(core, target.namespace)
  const currentConfig = decode(current)
  const action = !current ? 'create' : currentConfig === rendered ? 'unchanged' : 'update'
  return {
    namespace: target.namespace,
    secret: target.secret,
    previousSecret: previousSecretName(target.secret),
    action,
    diff: action === 'unchanged' ? [] : redactedDiff(currentConfig ?? '', rendered, knownSecrets),
    state: {current, currentConfig},
  }
}

function previousBody(target: SecretTarget, existing: V1Secret | undefined, state: PreviousState, data: Record<string, string>): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: previousSecretName(target.secret),
      namespace: target.namespace,
      resourceVersion: existing?.metadata?.resourceVersion,
      labels: {...existing?.metadata?.labels, 'app.kubernetes.io/managed-by': 'elife-k8s'},
      annotations: {
        ...existing?.metadata?.annotations,
        [previousOfAnnotation]: target.secret,
        [previousStateAnnotation]: state,
        [savedAtAnnotation]: new Date().toISOString(),
      },
    },
    data,
  }
}

/** Creates or updates `<secret>-previous` (against its resourceVersion when it exists). */
async function writePrevious(core: CoreV1Api, target: SecretTarget, state: PreviousState, data: Record<string, string>): Promise<void> {
  const name = previousSecretName(target.secret)
  const existing = await readSecret(core, target.namespace, name)
  const body = previousBody(target, existing, state, data)
  if (existing) await core.replaceNamespacedSecret({name, namespace: target.namespace, body})
  else await core.createNamespacedSecret({namespace: target.namespace, body})
}

/** The secret with alertmanager.yaml replaced; labels, annotations, type and other keys kept. */
function withConfig(secret: V1Secret, config: string | undefined): V1Secret {
  const data = {...secret.data}
  if (config === undefined) delete data[configKey]
  else data[configKey] = encode(config)
  // stringData would be merged into data by the server; we never send it.
  const {stringData: _ignored, ...rest} = secret
  return {...rest, data}
}

const conflictRetries = 3

/**
 * Puts `config` into the live secret without ever removing it: update against the
 * resourceVersion that was read. On 409, re-read: if only metadata moved (alertmanager.yaml is
 * still what the plan was made against), retry on the new version; otherwise stop, since the
 * diff the user confirmed is stale.
 */
async function replaceConfig(core: CoreV1Api, target: SecretTarget, current: V1Secret, expectedConfig: string | undefined, config: string | undefined): Promise<V1Secret> {
  let live = current
  for (let attempt = 1; ; attempt++) {
    try {
      return await core.replaceNamespacedSecret({name: target.secret, namespace: target.namespace, body: withConfig(live, config)})
    } catch (error) {
      if (!isConflict(error)) throw error
      const reread = await readSecret(core, target.namespace, target.secret)
      if (!reread || decode(reread) !== expectedConfig || attempt >= conflictRetries) {
        throw new CliError('conflict', `secret "${target.secret}" in ${target.namespace} changed while we were updating it`, {
          hint: 'someone else is editing it; run the command again to see the new diff',
          cause: error,
        })
      }
      live = reread
    }
  }
}

/**
 * Applies a plan: keeps the current alertmanager.yaml in `<secret>-previous`, then replaces it
 * in the live secret (or creates the secret when there was none). Never deletes anything.
 */
export async function executeApply(core: CoreV1Api, plan: ApplyPlan, rendered: string): Promise<AlertmanagerChange> {
  const target = {namespace: plan.namespace, secret: plan.secret}
  const summary = {namespace: plan.namespace, secret: plan.secret, previousSecret: plan.previousSecret, action: plan.action, diff: plan.diff}
  if (plan.action === 'unchanged') return summary
  const {current, currentConfig} = plan.state
  if (!current) {
    await writePrevious(core, target, 'absent', {})
    try {
      await core.createNamespacedSecret({
        namespace: plan.namespace,
        body: {apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: {name: plan.secret, namespace: plan.namespace}, data: {[configKey]: encode(rendered)}},
      })
    } catch (error) {
      if (isConflict(error)) {
        throw new CliError('conflict', `secret "${plan.secret}" in ${plan.namespace} was created by someone else while we were creating it`, {
          hint: 'run the command again to see the diff against it',
          cause: error,
        })
      }
      throw error
    }
    return summary
  }
  await writePrevious(core, target, currentConfig === undefined ? 'no-key' : 'present', currentConfig === undefined ? {} : {[configKey]: encode(currentConfig)})
  await replaceConfig(core, target, current, currentConfig, rendered)
  return summary
}

export interface RollbackPlan extends AlertmanagerChange {
  readonly state: {current: V1Secret; currentConfig?: string; previous: V1Secret; previousConfig?: string; finishOnly: boolean}
}

/** Reads the secret and its `-previous` sibling and computes what a rollback would change. */
export async function planRollback(core: CoreV1Api, target: SecretTarget): Promise<RollbackPlan> {
  const current = await readSecret(core, target.namespace, target.secret)
  if (!current) {
    await assertNamespace(core, target.namespace)
    throw new CliError('not-found', `secret "${target.secret}" does not exist in ${target.namespace}, so there is nothing to roll back`, {
      hint: 'check -n and --secret; to create it, run `elife-k8s alertmanager apply --template FILE`',
    })
  }
  const previousName = previousSecretName(target.secret)
  const previous = await readSecret(core, target.namespace, previousName)
  if (!previous) {
    throw new CliError('not-found', `no previous content kept for secret "${target.secret}" in ${target.namespace} (secret "${previousName}" does not exist)`, {
      hint: 'a rollback needs an earlier `elife-k8s alertmanager apply`; apply the configuration you want instead',
    })
  }
  const state = (previous.metadata?.annotations?.[previousStateAnnotation] ?? 'present') as PreviousState
  if (state === 'absent') {
    throw new CliError('conflict', `secret "${target.secret}" in ${target.namespace} did not exist before the last apply, so there is no earlier content to restore`, {
      hint: 'apply the configuration you want with --template; elife-k8s never deletes the secret',
    })
  }
  const currentConfig = decode(current)
  const previousConfig = state === 'no-key' ? undefined : decode(previous)
  // A rollback interrupted after the live secret was restored: only the swap is left to finish.
  const finishOnly = currentConfig === previousConfig && previous.data?.[pendingKey] !== undefined
  const action = finishOnly || currentConfig === previousConfig ? 'unchanged' : 'update'
  return {
    namespace: target.namespace,
    secret: target.secret,
    previousSecret: previousName,
    action,
    diff: action === 'unchanged' ? [] : redactedDiff(currentConfig ?? '', previousConfig ?? '', []),
    state: {current, currentConfig, previous, previousConfig, finishOnly},
  }
}

/**
 * Swaps the live alertmanager.yaml with the kept one, so a second rollback undoes the first.
 * Three writes, each safe to interrupt: (1) the `-previous` secret also records the content being
 * replaced, (2) the live secret gets the kept content, (3) `-previous` keeps only the replaced one.
 */
export async function executeRollback(core: CoreV1Api, plan: RollbackPlan): Promise<AlertmanagerChange> {
  const target = {namespace: plan.namespace, secret: plan.secret}
  const summary = {namespace: plan.namespace, secret: plan.secret, previousSecret: plan.previousSecret, action: plan.action, diff: plan.diff}
  const {current, currentConfig, previous, previousConfig, finishOnly} = plan.state
  if (finishOnly) {
    const replaced = previous.data?.[pendingKey]
    await writePrevious(core, target, replaced === undefined ? 'no-key' : 'present', replaced === undefined ? {} : {[configKey]: replaced})
    return summary
  }
  const replacedState: PreviousState = currentConfig === undefined ? 'no-key' : 'present'
  if (plan.action === 'unchanged') return summary
  const previousState = previousConfig === undefined ? 'no-key' : 'present'
  await writePrevious(core, target, previousState, {
    ...(previousConfig === undefined ? {} : {[configKey]: encode(previousConfig)}),
    ...(currentConfig === undefined ? {} : {[pendingKey]: encode(currentConfig)}),
  })
  await replaceConfig(core, target, current, currentConfig, previousConfig)
  await writePrevious(core, target, replacedState, currentConfig === undefined ? {} : {[configKey]: encode(currentConfig)})
  return summary
}

/** The live alertmanager.yaml after the change, for the final "what is true now" line. */
export async function readConfig(core: CoreV1Api, target: SecretTarget): Promise<string | undefined> {
  return decode(await readSecret(core, target.namespace, target.secret))
}
