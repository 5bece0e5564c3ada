import {CoreV1Api, CustomObjectsApi, type KubernetesObject} from '@kubernetes/client-node'
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {stringify as stringifyYaml} from 'yaml'

import {BaseCommand, CliError} from '../../base-command.js'
import {ExitCode, isCliError} from '../../lib/errors.js'
import {resolveHelm} from '../../lib/helm/binary.js'
import {debugHelmRelease, type DebugResult, type LoadedHelmRelease, loadHelmReleaseFromCluster, loadHelmReleaseFromFile} from '../../lib/helm/debug.js'
import {validateObjects, type Validation} from '../../lib/helm/validate.js'
import {escapeControl} from '../../lib/render/table.js'

export default class HelmDebug extends BaseCommand<typeof HelmDebug> {
  static override summary = 'Render a HelmRelease\'s chart with its values, and show what helm complains about.'

  static override description = `Replaces the runbook's "If helm lint is happy but operator is complaining" recipe in one step: takes the values and the chart source from a HelmRelease (the object in the cluster, or --file with the YAML from the GitOps repo), fetches the chart (helm-operator: git clone of spec.chart.git at spec.chart.ref, or helm pull from spec.chart.repository; Flux v2: the HelmRepository or GitRepository that spec.chart.spec.sourceRef names, read from the cluster), runs \`helm dependency update\` (git charts, as helm-operator does) and \`helm template --debug\`, and shows helm's error with the template line and the values it refers to.

Values are composed as the controller does (valuesFrom ConfigMaps/Secrets — with Flux v2's valuesKey and targetPath — chart files and URLs in order, then spec.values), passed to helm on stdin (never written to disk), and never printed in full: keys are shown, and string values whose key or shape looks secret (passwords, tokens, keys, long random strings) are replaced by <redacted: N chars>.`

  static override examples = [
    {description: 'Debug the reviewer HelmRelease as it is in the cluster', command: '<%= config.bin %> <%= command.id %> libero-reviewer -n prod'},
    {description: 'Debug the version in your GitOps checkout before pushing it', command: '<%= config.bin %> <%= command.id %> libero-reviewer -n prod --file releases/prod/libero-reviewer.yaml'},
    {description: 'Also list every values key passed to helm', command: '<%= config.bin %> <%= command.id %> libero-reviewer -n prod --show-values'},
  ]

  static override args = {
    helmrelease: Args.string({description: 'The HelmRelease object\'s name (not the helm release name).', required: true}),
  }

  static override flags = {
    file: Flags.string({char: 'f', description: 'Read the HelmRelease from this YAML file instead of the cluster.'}),
    'show-values': Flags.boolean({description: 'Print the values passed to helm (secret-looking strings redacted).', default: false}),
    'helm-binary': Flags.string({description: 'The helm 3 binary to use (default: $ELIFE_K8S_HELM, else helm on PATH).'}),
    validate: Flags.boolean({
      description: 'Send the rendered objects to the API server in a dry run (server-side apply, nothing stored) and show what it would refuse. On by default when a cluster is reachable; --no-validate skips it.',
      allowNo: true,
    }),
  }

  public async run(): Promise<DebugResult> {
    const result = await this.debugRelease()
    // --json carries the values only when asked for, as the text output does (redacted even then).
    return this.flags['show-values'] ? result : {...result, values: undefined}
  }

  private async debugRelease(): Promise<DebugResult> {
    const {flags, args} = this
    const helm = await resolveHelm({flag: flags['helm-binary']})
    let loaded: LoadedHelmRelease
    if (flags.file) {
      loaded = loadHelmReleaseFromFile(flags.file, args.helmrelease)
    } else {
      const namespace = this.namespace
      loaded = await this.callApi({verb: 'get HelmRelease', target: `"${args.helmrelease}" in ${namespace}`}, () =>
        loadHelmReleaseFromCluster(this.kube.api(CustomObjectsApi), args.helmrelease, namespace),
      )
    }
    const hr = `HelmRelease ${loaded.object.metadata?.namespace ?? this.namespace}/${loaded.object.metadata?.name}`
    const result = await this.callApi({verb: 'read values of', target: hr}, () =>
      debugHelmRelease(loaded, {
        helm,
        // valuesFrom may point at ConfigMaps and Secrets, and a Flux v2 chart at a source object:
        // only then is the cluster needed.
        core: () => this.kube.api(CoreV1Api),
        custom: () => this.kube.api(CustomObjectsApi),
        onStep: (text) => this.steps.action(text),
        onDone: (text) => this.steps.success(text),
        validate: flags.validate === false ? undefined : (objects, namespace) => this.validate(objects, namespace, flags.validate === true),
      }),
    )
    // Names, URLs and paths come from the HelmRelease (a --file may hold anything): escaped.
    this.log(escapeControl(`${hr} → release "${result.release}" in ${result.namespace}`))
    this.log(escapeControl(`chart: ${result.chart.kind === 'git' ? `${result.chart.url} @ ${result.chart.ref}, path ${result.chart.path}` : `${result.chart.name} ${result.chart.version || '(latest)'} from ${result.chart.url}`}`))
    this.log(escapeControl(`values: ${result.valuesSources.map((s) => `${s.from} (${s.skipped ?? `${s.keys} keys`})`).join(', ')}`))
    if (flags['show-values']) {
      this.log('values passed to helm (string values that look secret are redacted):')
      this.log(stringifyYaml(result.values).trimEnd().replace(/^/gm, '  '))
    }

    if (!result.dependencyUpdate.ok) {
      throw new CliError('check-failed', `helm dependency update failed for ${hr}: ${result.dependencyUpdate.error}`, {hint: 'check the chart\'s dependencies (Chart.yaml) and their repositories'})
    }
    if (result.template.ok) {
      const kinds = Object.entries(result.template.kinds ?? {}).map(([k, n]) => `${n} ${k}`).join(', ')
      const {validation} = result
      if (validation?.refused.length) {
        this.log(`✔ helm template --debug renders ${result.template.manifests} manifests (${kinds})`)
        this.log('')
        this.log(`✗ the API server would refuse ${validation.refused.length} of them (server-side dry run):`)
        for (const r of validation.refused) this.log(escapeControl(`  ${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}: ${r.message}`))
        if (this.jsonEnabled()) {
          process.exitCode = ExitCode.CHECK_FAILED
          return result
        }
        throw new CliError('check-failed', `the API server would refuse ${validation.refused.length === 1 ? 'an object' : `${validation.refused.length} objects`} that the chart of ${hr} renders`, {
          hint: 'fix the values (or the chart) behind the objects named above; helm-operator fails the same way',
        })
      }
      if (validation?.skipped) this.steps.warning(validation.skipped)
      const checked = validation?.ran ? ' and the API server accepts them all in a dry run' : ''
      this.log(`✔ helm template --debug renders ${result.template.manifests} manifests (${kinds})${checked}: the chart and values are fine; look at the controller's logs or the cluster for the failure`)
      return result
    }
    this.log('')
    this.log(escapeControl(`✗ helm template failed: ${result.template.error}`))
    const {culprit} = result
    if (culprit?.template) this.log(escapeControl(`  at ${culprit.template}:${culprit.line}${culprit.source ? `:  ${culprit.source}` : ''}`))
    if (culprit && culprit.values.length > 0) {
      this.log('  values it refers to (as passed to helm; secret-looking strings redacted):')
      for (const v of culprit.values) this.log(`    ${v.path}: ${v.set ? `${JSON.stringify(v.value)}${v.from === 'chart default' ? ' (chart default)' : ''}` : '(not set)'}`)
    }
    if (this.jsonEnabled()) {
      process.exitCode = ExitCode.CHECK_FAILED
      return result
    }
    throw new CliError('check-failed', `the chart of ${hr} does not render with its values`, {hint: 'fix the values (or the chart) named above; rerun with --show-values to see all values keys'})
  }

  /**
   * The dry run against the cluster of the current context. Without a usable kubeconfig or with
   * the server unreachable it is skipped with a note, unless --validate asked for it.
   */
  private async validate(objects: KubernetesObject[], namespace: string, asked: boolean): Promise<Validation> {
    let validation: Validation
    try {
      validation = await validateObjects(this.kube.kc, objects, namespace)
    } catch (error) {
      if (asked || !isCliError(error) || error.kind !== 'usage') throw error
      validation = {ran: false, skipped: `no cluster to validate against (${error.message}): not validated against the API server`, accepted: 0, refused: []}
    }
    if (asked && !validation.ran) {
      // --validate asked for it: RBAC saying no is exit 4, as every other refusal; only an unreachable server is 5.
      if (validation.stoppedBy === 'forbidden') throw new CliError('forbidden', validation.skipped ?? 'not allowed to validate against the API server', {hint: 'ask for the right to patch (dry-run) these objects, or rerun with --no-validate'})
      throw new CliError('unreachable', validation.skipped ?? 'could not validate against the API server', {hint: 'check the cluster is reachable, or rerun with --no-validate'})
    }
    return validation
  }
}
