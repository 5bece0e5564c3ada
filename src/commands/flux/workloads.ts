import {allNamespacesFlag, BaseCommand, namespaceFlag} from '../../base-command.js'
import {fluxWorkloadsAction, type FluxWorkloadsResult} from '../../lib/flux/action.js'
import {fluxFlags, fluxTarget} from '../../lib/flux/flags.js'
import {plural} from '../../lib/render/number.js'

export type {FluxWorkloadRow, FluxWorkloadsResult} from '../../lib/flux/action.js'

export default class FluxWorkloads extends BaseCommand<typeof FluxWorkloads> {
  static override summary = 'List the workloads Flux manages, as `fluxctl list-workloads` does.'

  static override description = `Replaces \`fluxctl list-workloads --all-namespaces\` from the runbook's "Observing flux state".

Flux v1: asks fluxd (GET /api/flux/v11/services) through a port-forward to the flux pod in --k8s-fwd-ns and prints WORKLOAD, CONTAINER, IMAGE, RELEASE and POLICY like fluxctl.
Flux v2: lists GitRepositories, Kustomizations and HelmReleases with their Ready condition and revision.`

  static override examples = [
    {description: 'Everything flux v1 manages', command: '<%= config.bin %> <%= command.id %> -A'},
    {description: 'One namespace', command: '<%= config.bin %> <%= command.id %> -n prod'},
    {description: 'As JSON', command: '<%= config.bin %> <%= command.id %> -A --json'},
  ]

  static override flags = {
    /** Flux v2's objects live in flux-system (Flux v1's fluxd is found by --k8s-fwd-ns). */
    namespace: namespaceFlag('flux-system'),
    ...fluxFlags,
    'all-namespaces': allNamespacesFlag,
  }

  public async run(): Promise<FluxWorkloadsResult> {
    const result = await fluxWorkloadsAction.run(this.ctx, fluxTarget(this.flags))
    if (result.generation === 'v1') {
      this.table(result.workloads, [
        {header: 'WORKLOAD', value: (r) => r.workload},
        {header: 'CONTAINER', value: (r) => r.container},
        {header: 'IMAGE', value: (r) => r.image},
        {header: 'RELEASE', value: (r) => r.release},
        {header: 'POLICY', value: (r) => r.policy},
      ])
      this.io.say(`${plural(result.workloadCount, 'workload')} managed by ${result.scope}`)
      return result
    }
    const {objects} = result
    this.table(objects, [
      {header: 'KIND', value: (o) => o.kind},
      {header: 'NAMESPACE', value: (o) => o.namespace},
      {header: 'NAME', value: (o) => o.name},
      {header: 'READY', value: (o) => (o.suspended ? 'suspended' : o.ready)},
      {header: 'REVISION', value: (o) => o.revision ?? ''},
      {header: 'MESSAGE', value: (o) => o.message ?? ''},
    ])
    const notReady = objects.filter((o) => o.ready !== 'True' && !o.suspended).length
    this.io.say(`${plural(objects.length, 'Flux v2 object')} ${result.scope}, ${notReady} not Ready`)
    return result
  }
}
