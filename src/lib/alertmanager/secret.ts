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
const previousStates: readonly string[] = ['present', 'no-key', 'absent']

/**
 * Whether `<secret>-previous` is a backup elife-k8s made of `secret`: every version that wrote one
 * set the previous-of annotation to the live secret's name (and a previous-state we know). A
 * sibling without that mark was made by someone else (by hand, by another tool, or a namesake
 * secret that has nothing to do with Alertmanager): we neither overwrite it nor restore from it.
 * Pure, so the rule is tested with plain objects.
 */
export function previousOwnership(previous: V1Secret, secret: string): {ours: true; state: PreviousState} | {ours: false; why: string} {
  const annotations = previous.metadata?.annotations ?? {}
  const of = annotations[previousOfAnnotation]
  if (of === undefined) return {ours: false, why: `it has no ${previousOfAnnotation} annotation`}
  if (of !== secret) return {ours: false, why: `its ${previousOfAnnotation} annotation names another secret`}
  const state = annotations[previousStateAnnotation] ?? 'present'
  if (!previousStates.includes(state)) return {ours: false, why: `its ${previousStateAnnotation} annotation is not one elife-k8s writes`}
  // elife-k8s writes Opaque backups; a Secret's type cannot be changed by an update.
  if (previous.type !== undefined && previous.type !== 'Opaque') return {ours: false, why: 'it is not of type Opaque'}
  return {ours: true, state: state as PreviousState}
}

/** Refuses a `-previous` secret that is not ours; says how to mark a hand-made backup or clear the way. */
function assertPreviousIsOurs(previous: V1Secret, target: SecretTarget): PreviousState {
  const ownership = previousOwnership(previous, target.secret)
  if (ownership.ours) return ownership.state
  const name = previousSecretName(target.secret)
  throw new CliError(
    'conflict',
    `secret "${name}" in ${target.namespace} is not a backup elife-k8s made of "${target.secret}" (${ownership.why}), so it is left alone and nothing was changed`,
    {
      hint: `if it holds an earlier ${configKey} of "${target.secret}" (made by hand or by a tool that did not mark it), mark it with \`kubectl annotate secret ${name} -n ${target.namespace} --overwrite ${previousOfAnnotation}=${target.secret}\`; otherwise move it out of the way (\`kubectl delete secret ${name} -n ${target.namespace}\` after keeping a copy) or pick another --secret`,
    },
  )
}

/**
 * An immutable Secret (`immutable: true`) can only be deleted and created again, which this
 * command never does: refuse in the plan, before anything is written.
 */
function assertMutable(secret: V1Secret | undefined, namespace: string, role: 'live' | 'previous'): void {
  if (secret?.immutable !== true) return
  const name = secret.metadata?.name ?? '?'
  throw new CliError(
    'conflict',
    `secret "${name}" in ${namespace} is immutable (immutable: true), so its ${configKey} cannot be ${role === 'live' ? 'replaced in place' : 'updated'}; nothing was changed`,
    {
      hint:
        role === 'live'
          ? `Kubernetes only allows deleting and re-creating an immutable secret: if that is what you want, copy it, \`kubectl delete secret ${name} -n ${namespace}\`, and run this command again to create it`
          : `it holds the content --rollback would restore; copy it if you need it, then \`kubectl delete secret ${name} -n ${namespace}\` and run this command again`,
    },
  )
}

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

/** The parts of a plan that must never be printed: the current secrets and their configuration. */
interface PlanState {
  current?: V1Secret
  currentConfig?: string
  /** `<secret>-previous` as read (ours, or absent): the backup is written against its resourceVersion. */
  previous?: V1Secret
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
      throw new CliError('not-found', `namespace "${namespace}" does not exist`, {
        hint: 'pick the namespace Alertmanager runs in with -n (the runbook uses adm)',
      })
    }
    // Not allowed to read namespaces: the secret call will say what is wrong.
  }
}

/**
 * Reads the secret and its `-previous` sibling and computes what an apply of `rendered` would
 * change. Touches nothing. Refuses (exit 7) anything the execution would have to stop on halfway:
 * an immutable secret or sibling, or a sibling that is not our backup.
 */
export async function planApply(core: CoreV1Api, target: SecretTarget, rendered: string, knownSecrets: readonly string[]): Promise<ApplyPlan> {
  const current = await readSecret(core, target.namespace, target.secret)
  if (!current) await assertNamespace(core, target.namespace)
  const currentConfig = decode(current)
  const action = !current ? 'create' : currentConfig === rendered ? 'unchanged' : 'update'
  let previous: V1Secret | undefined
  if (action !== 'unchanged') {
    assertMutable(current, target.namespace, 'live')
    previous = await readSecret(core, target.namespace, previousSecretName(target.secret))
    if (previous) {
      assertPreviousIsOurs(previous, target)
      assertMutable(previous, target.namespace, 'previous')
    }
  }
  return {
    namespace: target.namespace,
    secret: target.secret,
    previousSecret: previousSecretName(target.secret),
    action,
    diff: action === 'unchanged' ? [] : redactedDiff(currentConfig ?? '', rendered, knownSecrets),
    state: {current, currentConfig, previous},
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

/**
 * Creates `<secret>-previous`, or updates it against the resourceVersion the plan read (so a
 * sibling that changed or was swapped for someone else's since is never overwritten: 409).
 * Returns what was written, for the next write in the same run.
 */
async function writePrevious(
  core: CoreV1Api,
  target: SecretTarget,
  existing: V1Secret | undefined,
  state: PreviousState,
  data: Record<string, string>,
  afterLive = false,
): Promise<V1Secret> {
  const name = previousSecretName(target.secret)
  const body = previousBody(target, existing, state, data)
  try {
    if (existing) return await core.replaceNamespacedSecret({name, namespace: target.namespace, body})
    return await core.createNamespacedSecret({namespace: target.namespace, body})
  } catch (error) {
    if (!isConflict(error)) throw error
    if (afterLive) {
      throw new CliError(
        'conflict',
        `secret "${target.secret}" in ${target.namespace} holds the restored ${configKey}, but "${name}" changed meanwhile and still holds both contents`,
        {
          hint: 'run --rollback again to finish (it only updates the backup)',
          cause: error,
        },
      )
    }
    throw new CliError(
      'conflict',
      `secret "${name}" in ${target.namespace} changed while we were about to update it, so it was left alone and secret "${target.secret}" was not changed`,
      {
        hint: 'someone else is editing it; run the command again to see the new plan',
        cause: error,
      },
    )
  }
}

/**
 * The secret with alertmanager.yaml replaced; labels, annotations, type and other keys kept.
 * `config` is a string by type: a live secret is never written without its configuration.
 */
function withConfig(secret: V1Secret, config: string): V1Secret {
  const data = {...secret.data, [configKey]: encode(config)}
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
async function replaceConfig(core: CoreV1Api, target: SecretTarget, current: V1Secret, expectedConfig: string | undefined, config: string): Promise<V1Secret> {
  let live = current
  for (let attempt = 1; ; attempt++) {
    try {
      return await core.replaceNamespacedSecret({name: target.secret, namespace: target.namespace, body: withConfig(live, config)})
    } catch (error) {
      if (!isConflict(error)) throw error
      const reread = await readSecret(core, target.namespace, target.secret)
      if (!reread || reread.immutable === true || decode(reread) !== expectedConfig || attempt >= conflictRetries) {
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
  const {current, currentConfig, previous} = plan.state
  if (!current) {
    await writePrevious(core, target, previous, 'absent', {})
    try {
      await core.createNamespacedSecret({
        namespace: plan.namespace,
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          type: 'Opaque',
          metadata: {name: plan.secret, namespace: plan.namespace},
          data: {[configKey]: encode(rendered)},
        },
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
  await writePrevious(
    core,
    target,
    previous,
    currentConfig === undefined ? 'no-key' : 'present',
    currentConfig === undefined ? {} : {[configKey]: encode(currentConfig)},
  )
  await replaceConfig(core, target, current, currentConfig, rendered)
  return summary
}

export interface RollbackPlan extends AlertmanagerChange {
  readonly state: {current: V1Secret; currentConfig?: string; previous: V1Secret; previousConfig: string; finishOnly: boolean}
}

/**
 * Reads the secret and its `-previous` sibling and computes what a rollback would change.
 * Refuses (exit 7) a sibling that is not our backup or holds no alertmanager.yaml to restore,
 * and an immutable secret or sibling, so a rollback never leaves the live secret without its
 * configuration or stops halfway.
 */
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
  const state = assertPreviousIsOurs(previous, target)
  if (state === 'absent') {
    throw new CliError(
      'conflict',
      `secret "${target.secret}" in ${target.namespace} did not exist before the last apply, so there is no earlier content to restore`,
      {
        hint: 'apply the configuration you want with --template; elife-k8s never deletes the secret',
      },
    )
  }
  if (state === 'no-key') {
    throw new CliError(
      'conflict',
      `secret "${target.secret}" in ${target.namespace} had no ${configKey} before the last apply, so there is no earlier configuration to restore (restoring that would leave Alertmanager without one); nothing was changed`,
      {
        hint: 'apply the configuration you want with --template',
      },
    )
  }
  const previousConfig = decode(previous)
  if (previousConfig === undefined) {
    throw new CliError(
      'conflict',
      `secret "${previousName}" in ${target.namespace} holds no ${configKey}, so there is nothing to restore into "${target.secret}" (that would leave Alertmanager without a configuration); nothing was changed`,
      {
        hint: `check what "${previousName}" holds, or apply the configuration you want with --template`,
      },
    )
  }
  assertMutable(current, target.namespace, 'live')
  assertMutable(previous, target.namespace, 'previous')
  const currentConfig = decode(current)
  // A rollback interrupted after the live secret was restored: only the swap is left to finish.
  const finishOnly = currentConfig === previousConfig && previous.data?.[pendingKey] !== undefined
  const action = finishOnly || currentConfig === previousConfig ? 'unchanged' : 'update'
  return {
    namespace: target.namespace,
    secret: target.secret,
    previousSecret: previousName,
    action,
    diff: action === 'unchanged' ? [] : redactedDiff(currentConfig ?? '', previousConfig, []),
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
    await writePrevious(core, target, previous, replaced === undefined ? 'no-key' : 'present', replaced === undefined ? {} : {[configKey]: replaced})
    return summary
  }
  const replacedState: PreviousState = currentConfig === undefined ? 'no-key' : 'present'
  if (plan.action === 'unchanged') return summary
  const recorded = await writePrevious(core, target, previous, 'present', {
    [configKey]: encode(previousConfig),
    ...(currentConfig === undefined ? {} : {[pendingKey]: encode(currentConfig)}),
  })
  await replaceConfig(core, target, current, currentConfig, previousConfig)
  await writePrevious(core, target, recorded, replacedState, currentConfig === undefined ? {} : {[configKey]: encode(currentConfig)}, true)
  return summary
}

/** The live alertmanager.yaml after the change, for the final "what is true now" line. */
export async function readConfig(core: CoreV1Api, target: SecretTarget): Promise<string | undefined> {
  return decode(await readSecret(core, target.namespace, target.secret))
}
