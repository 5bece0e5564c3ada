import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {BaseCommand} from '../../base-command.js'
import {helmDebug, type HelmDebugInput, showHelmDebug} from '../../lib/helm/debug-action.js'
import type {DebugResult} from '../../lib/helm/debug.js'

export default class HelmDebug extends BaseCommand<typeof HelmDebug> {
  static override summary = "Render a HelmRelease's chart with its values, and show what helm complains about."

  static override description = `Replaces the runbook's "If helm lint is happy but operator is complaining" recipe in one step: takes the values and the chart source from a HelmRelease (the object in the cluster, or --file with the YAML from the GitOps repo), fetches the chart (helm-operator: git clone of spec.chart.git at spec.chart.ref, or helm pull from spec.chart.repository; Flux v2: the HelmRepository or GitRepository that spec.chart.spec.sourceRef names, read from the cluster), runs \`helm dependency update\` (git charts, as helm-operator does) and \`helm template --debug\`, and shows helm's error with the template line and the values it refers to.

Values are composed as the controller does (valuesFrom ConfigMaps/Secrets — with Flux v2's valuesKey and targetPath — chart files and URLs in order, then spec.values), passed to helm on stdin (never written to disk), and never printed in full: keys are shown, and string values whose key or shape looks secret (passwords, tokens, keys, long random strings) are replaced by <redacted: N chars>.`

  static override examples = [
    {description: 'Debug the reviewer HelmRelease as it is in the cluster', command: '<%= config.bin %> <%= command.id %> libero-reviewer -n prod'},
    {
      description: 'Debug the version in your GitOps checkout before pushing it',
      command: '<%= config.bin %> <%= command.id %> libero-reviewer -n prod --file releases/prod/libero-reviewer.yaml',
    },
    {description: 'Also list every values key passed to helm', command: '<%= config.bin %> <%= command.id %> libero-reviewer -n prod --show-values'},
  ]

  static override args = {
    helmrelease: Args.string({description: "The HelmRelease object's name, or the name of the helm release it manages.", required: true}),
  }

  static override flags = {
    file: Flags.string({char: 'f', description: 'Read the HelmRelease from this YAML file instead of the cluster.'}),
    'show-values': Flags.boolean({description: 'Print the values passed to helm (secret-looking strings redacted).', default: false}),
    'helm-binary': Flags.string({description: 'The helm 3 binary to use (default: $ELIFE_K8S_HELM, else helm on PATH).'}),
    validate: Flags.boolean({
      description:
        'Send the rendered objects to the API server in a dry run (server-side apply, nothing stored) and show what it would refuse. On by default when a cluster is reachable; --no-validate skips it.',
      allowNo: true,
    }),
  }

  public async run(): Promise<DebugResult> {
    const {flags, args} = this
    const input: HelmDebugInput = {
      name: args.helmrelease,
      // With --file the cluster is needed only for what the HelmRelease points at.
      namespace: flags.file ? (flags.namespace ?? '') : this.namespace,
      file: flags.file,
      showValues: flags['show-values'],
      helmBinary: flags['helm-binary'],
      validate: flags.validate,
    }
    const result = await helmDebug.run(this.ctx, input)
    return showHelmDebug(this.ctx, input, result)
  }
}
