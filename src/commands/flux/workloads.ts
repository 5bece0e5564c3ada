import {ApiextensionsV1Api, CoreV1Api, CustomObjectsApi} from '@kubernetes/client-node'

import {allNamespacesFlag, BaseCommand, namespaceFlag} from '../../base-command.js'
import {fluxFlags} from '../../lib/flux/flags.js'
import {workloadPolicy} from '../../lib/flux/fluxd.js'
import {detectGeneration, type FluxGeneration} from '../../lib/flux/generation.js'
import {withFluxd} from '../../lib/flux/v1.js'
import {listToolkitObjects, type ToolkitObject} from '../../lib/flux/v2.js'

export interface FluxWorkloadRow {
  workload: string
  container: string
  image: string
  release: string
  policy: string
}

export interface FluxWorkloadsResult {
  generation: FluxGeneration
  /** Flux v1: fluxd's workloads, one row per container, as `fluxctl list-workloads`. */
  workloads: FluxWorkloadRow[]
  /** Flux v2: GitRepositories, Kustomizations and HelmReleases with their Ready condition. */
  objects: ToolkitObject[]
}

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
    const {flags} = this
    const forwardNamespace = flags['k8s-fwd-ns']
    const detected = await this.callApi({verb: 'look for', target: `Flux in ${forwardNamespace}`}, () =>
      detectGeneration({core: this.kube.api(CoreV1Api), extensions: this.kube.api(ApiextensionsV1Api)}, {forwardNamespace, forced: flags.generation === 'auto' ? undefined : flags.generation}),
    )
    if (detected.generation === 'v1') {
      const namespace = flags['all-namespaces'] ? '' : this.namespace
      const statuses = await this.callApi({verb: 'port-forward to', target: `the flux pod in ${forwardNamespace}`}, () =>
        withFluxd(this.kube.kc, this.kube.api(CoreV1Api), forwardNamespace, flags['fluxd-port'], (fluxd) => fluxd.workloads(namespace)),
      )
      const rows: FluxWorkloadRow[] = []
      for (const status of [...statuses].sort((a, b) => a.ID.localeCompare(b.ID))) {
        const containers = status.Containers ?? []
        const release = status.ReadOnly ? status.ReadOnly : (status.Status ?? '')
        if (containers.length === 0) rows.push({workload: status.ID, container: '', image: '', release, policy: workloadPolicy(status)})
        containers.forEach((container, i) => {
          rows.push({workload: i === 0 ? status.ID : '', container: container.Name, image: container.Current?.ID ?? '', release: i === 0 ? release : '', policy: i === 0 ? workloadPolicy(status) : ''})
        })
      }
      this.table(rows, [
        {header: 'WORKLOAD', value: (r) => r.workload},
        {header: 'CONTAINER', value: (r) => r.container},
        {header: 'IMAGE', value: (r) => r.image},
        {header: 'RELEASE', value: (r) => r.release},
        {header: 'POLICY', value: (r) => r.policy},
      ])
      this.steps.success(`${statuses.length} workload${statuses.length === 1 ? '' : 's'} managed by fluxd in ${forwardNamespace}${namespace ? ` in namespace ${namespace}` : ' across all namespaces'}`)
      return {generation: 'v1', workloads: rows, objects: []}
    }
    const namespace = flags['all-namespaces'] ? undefined : (this.flags.namespace ?? 'flux-system')
    const objects = await this.callApi({verb: 'list', target: `Flux v2 objects ${namespace ? `in ${namespace}` : 'in all namespaces'}`}, () =>
      listToolkitObjects(this.kube.api(CustomObjectsApi), detected.served, namespace),
    )
    this.table(objects, [
      {header: 'KIND', value: (o) => o.kind},
      {header: 'NAMESPACE', value: (o) => o.namespace},
      {header: 'NAME', value: (o) => o.name},
      {header: 'READY', value: (o) => (o.suspended ? 'suspended' : o.ready)},
      {header: 'REVISION', value: (o) => o.revision ?? ''},
      {header: 'MESSAGE', value: (o) => o.message ?? ''},
    ])
    const notReady = objects.filter((o) => o.ready !== 'True' && !o.suspended).length
    this.steps.success(`${objects.length} Flux v2 object${objects.length === 1 ? '' : 's'}, ${notReady} not Ready`)
    return {generation: 'v2', workloads: [], objects}
  }
}
