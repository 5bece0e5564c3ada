import {CoreV1Api, CustomObjectsApi, type KubernetesObject} from '@kubernetes/client-node'
import {stringify as stringifyYaml} from 'yaml'

import {type ActionContext, checkFailed, type ReadAction} from '../cli/action.js'
import type {CommandIO} from '../cli/io.js'
import {CliError, isCliError} from '../errors.js'
import {escapeControl} from '../render/table.js'
import {resolveHelm} from './binary.js'
import {debugHelmRelease, type DebugResult, loadHelmReleaseFromFile} from './debug.js'
import {type LoadedHelmRelease, resolveHelmRelease} from './resolve.js'
import {validateObjects, type Validation} from './validate.js'

export interface HelmDebugInput {
  /** The HelmRelease's name, or the name of the helm release it manages. */
  name: string
  /** -n (with --file: only if given). */
  namespace: string
  /** Read the HelmRelease from this YAML file instead of the cluster. */
  file?: string
  showValues: boolean
  helmBinary?: string
  /** --validate: true; --no-validate: false; neither: when a cluster is reachable. */
  validate?: boolean
}

/**
 * The runbook's "helm lint is happy but operator is complaining" in one step: the HelmRelease's
 * chart and values, `helm dependency update`, `helm template --debug`, then a server-side dry run
 * of what renders. A chart that does not render, or objects the API server would refuse, are in
 * the result (ok: false); showHelmDebug ends such a run with exit 6.
 */
export const helmDebug: ReadAction<HelmDebugInput, DebugResult> = {
  async run({io}, input) {
    const helm = await resolveHelm({flag: input.helmBinary})
    let loaded: LoadedHelmRelease
    if (input.file) {
      const fromFile = loadHelmReleaseFromFile(input.file, input.name)
      if (fromFile.note) io.say(escapeControl(fromFile.note))
      loaded = fromFile
    } else {
      loaded = await resolveHelmRelease(io, input.name, input.namespace)
    }
    const hr = `HelmRelease ${loaded.object.metadata?.namespace ?? input.namespace}/${loaded.object.metadata?.name}`.replace(' /', ' ')
    return io.callApi({verb: 'read values of', target: hr}, () =>
      debugHelmRelease(loaded, {
        helm,
        // valuesFrom may point at ConfigMaps and Secrets, and a Flux v2 chart at a source object:
        // only then is the cluster needed.
        core: () => io.kube.api(CoreV1Api),
        custom: () => io.kube.api(CustomObjectsApi),
        onStep: (text) => io.steps.action(text),
        onDone: (text) => io.steps.success(text),
        validate: input.validate === false ? undefined : (objects, namespace) => validate(io, objects, namespace, input.validate === true),
      }),
    )
  },
}

/**
 * The dry run against the cluster of the current context. Without a usable kubeconfig or with
 * the server unreachable it is skipped with a note, unless --validate asked for it.
 */
async function validate(io: CommandIO, objects: KubernetesObject[], namespace: string, asked: boolean): Promise<Validation> {
  let validation: Validation
  try {
    validation = await validateObjects(io.kube.kc, objects, namespace)
  } catch (error) {
    if (asked || !isCliError(error) || error.kind !== 'usage') throw error
    validation = {ran: false, skipped: `no cluster to validate against (${error.message}): not validated against the API server`, accepted: 0, refused: []}
  }
  if (asked && !validation.ran) {
    // --validate asked for it: RBAC saying no is exit 4, as every other refusal; only an unreachable server is 5.
    if (validation.stoppedBy === 'forbidden')
      throw new CliError('forbidden', validation.skipped ?? 'not allowed to validate against the API server', {
        hint: 'ask for the right to patch (dry-run) these objects, or rerun with --no-validate',
      })
    throw new CliError('unreachable', validation.skipped ?? 'could not validate against the API server', {
      hint: 'check the cluster is reachable, or rerun with --no-validate',
    })
  }
  return validation
}

/**
 * What was rendered and what helm or the API server said, on stderr; the values passed to helm
 * (--show-values, redacted) are the data, as YAML on stdout. Ends with exit 6 when the chart does
 * not render or the API server would refuse an object (under --json the result says which).
 */
export function showHelmDebug(ctx: ActionContext, input: HelmDebugInput, result: DebugResult): DebugResult {
  const {io} = ctx
  // --json carries the values only when asked for, as the text output does (redacted even then).
  const output = input.showValues ? result : {...result, values: undefined}
  const hr = `HelmRelease ${result.helmRelease.namespace ? `${result.helmRelease.namespace}/` : ''}${result.helmRelease.name}`
  // Names, URLs and paths come from the HelmRelease (a --file may hold anything): escaped.
  io.say(escapeControl(`${hr} → helm release ${result.release} in ${result.namespace}`))
  io.say(
    escapeControl(
      `chart: ${result.chart.kind === 'git' ? `${result.chart.url} @ ${result.chart.ref}, path ${result.chart.path}` : `${result.chart.name} ${result.chart.version || '(latest)'} from ${result.chart.url}`}`,
    ),
  )
  io.say(escapeControl(`values: ${result.valuesSources.map((s) => `${s.from} (${s.skipped ?? `${s.keys} keys`})`).join(', ')}`))
  if (input.showValues) {
    io.say('values passed to helm (string values that look secret are redacted) on stdout')
    io.log(stringifyYaml(result.values).trimEnd())
  }

  if (!result.dependencyUpdate.ok) {
    throw new CliError('check-failed', `helm dependency update failed for ${hr}: ${result.dependencyUpdate.error}`, {
      hint: "check the chart's dependencies (Chart.yaml) and their repositories",
    })
  }
  if (result.template.ok) {
    const rendered = `✔ helm template --debug renders ${result.template.manifests} manifests (${Object.entries(result.template.kinds ?? {})
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')})`
    const {validation} = result
    if (validation?.refused.length) {
      io.say(rendered)
      io.say(`✗ the API server would refuse ${validation.refused.length} of them (server-side dry run):`)
      for (const r of validation.refused) io.say(escapeControl(`  ${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}: ${r.message}`))
      const objects = validation.refused.length === 1 ? 'an object' : `${validation.refused.length} objects`
      return checkFailed(
        ctx,
        output,
        new CliError('check-failed', `the API server would refuse ${objects} that the chart of ${hr} renders`, {
          hint: 'fix the values (or the chart) behind the objects named above; helm-operator fails the same way',
        }),
      )
    }
    if (validation?.skipped) io.steps.warning(validation.skipped)
    const checked = validation?.ran ? ' and the API server accepts them all in a dry run' : ''
    io.say(`${rendered}${checked}: the chart and values are fine; look at the controller's logs or the cluster for the failure`)
    return output
  }
  io.say(escapeControl(`✗ helm template failed: ${result.template.error}`))
  const {culprit} = result
  if (culprit?.template) io.say(escapeControl(`  at ${culprit.template}:${culprit.line}${culprit.source ? `:  ${culprit.source}` : ''}`))
  if (culprit && culprit.values.length > 0) {
    io.say('  values it refers to (as passed to helm; secret-looking strings redacted):')
    for (const v of culprit.values)
      io.say(`    ${v.path}: ${v.set ? `${JSON.stringify(v.value)}${v.from === 'chart default' ? ' (chart default)' : ''}` : '(not set)'}`)
  }
  return checkFailed(
    ctx,
    output,
    new CliError('check-failed', `the chart of ${hr} does not render with its values`, {
      hint: 'fix the values (or the chart) named above; rerun with --show-values to see all values keys',
    }),
  )
}
