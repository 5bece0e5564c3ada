import {ApiextensionsV1Api, CoreV1Api, CustomObjectsApi} from '@kubernetes/client-node'
import * as Flags from '@oclif/core/flags'

import {allNamespacesFlag, BaseCommand, namespaceFlag} from '../../base-command.js'
import {CliError} from '../../lib/errors.js'
import {fluxFlags} from '../../lib/flux/flags.js'
import {confirm} from '../../lib/render/confirm.js'
import {detectGeneration, type FluxGeneration} from '../../lib/flux/generation.js'
import {findFluxdPod, fluxdGitSettings, withFluxd} from '../../lib/flux/v1.js'
import {listToolkitObjects, type ReconcileResult, reconcileToolkit} from '../../lib/flux/v2.js'

export interface FluxSyncResult {
  generation: FluxGeneration
  dryRun: boolean
  /** Under --dry-run: what would be asked to sync. */
  wouldSync?: string[]
  /** Flux v1: the repository and the revision fluxd applied. */
  v1?: {gitUrl: string; branch: string; revision: string; pod: string}
  /** Flux v2: each object's reconcile request and its Ready condition after it was handled. */
  v2?: ReconcileResult[]
}

export default class FluxSync extends BaseCommand<typeof FluxSync> {
  static override summary = 'Make Flux sync with Git now and wait until it has, as `fluxctl sync` does.'

  static override description = `Replaces \`fluxctl sync\` from the runbook's "Observing flux state".

Flux v1: through a port-forward to the flux pod (label app=flux) in --k8s-fwd-ns, checks the Git repository is ready, starts a sync job (POST /api/flux/v9/update-manifests), waits for the job to resolve the branch's HEAD, then until fluxd has applied it (GET /api/flux/v6/sync?ref=…).
Flux v2: sets reconcile.fluxcd.io/requestedAt on every GitRepository, Kustomization and HelmRelease in -n (default flux-system) or -A, waits until each controller reports it handled the request (status.lastHandledReconcileAt), and reports each object's Ready condition; exit code 6 if any is not Ready.

It only asks Flux to do now what it does every few minutes anyway; still, it asks first (--yes to skip). --dry-run contacts no Flux controller: for Flux v1 it reads the repository and branch from the flux pod's --git-url and --git-branch flags (through the API server, no port-forward); for Flux v2 it lists the objects it would annotate.`

  static override examples = [
    {description: 'Sync flux v1 in namespace flux', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Flux v2, every namespace, no question', command: '<%= config.bin %> <%= command.id %> --generation v2 -A --yes'},
    {description: 'What would be synced', command: '<%= config.bin %> <%= command.id %> --dry-run'},
  ]

  static override flags = {
    /** Flux v2's objects live in flux-system (Flux v1's fluxd is found by --k8s-fwd-ns). */
    namespace: namespaceFlag('flux-system'),
    ...fluxFlags,
    'all-namespaces': allNamespacesFlag,
    timeout: Flags.integer({description: 'Seconds to wait for Flux to finish.', default: 120}),
    'dry-run': Flags.boolean({description: 'Show what would be synced, read from the API server (the flux pod\'s flags, or the Flux v2 objects); contact no Flux controller.', default: false}),
    yes: Flags.boolean({char: 'y', description: 'Do not ask for confirmation.', default: false}),
  }

  public async run(): Promise<FluxSyncResult> {
    const {flags} = this
    const forwardNamespace = flags['k8s-fwd-ns']
    const detected = await this.callApi({verb: 'look for', target: `Flux in ${forwardNamespace}`}, () =>
      detectGeneration({core: this.kube.api(CoreV1Api), extensions: this.kube.api(ApiextensionsV1Api)}, {forwardNamespace, forced: flags.generation === 'auto' ? undefined : flags.generation}),
    )
    if (detected.generation === 'v1') {
      if (flags['dry-run']) {
        // Asks fluxd nothing: what it would sync is in the flux pod's own flags.
        const pod = await this.callApi({verb: 'read', target: `the flux pod in ${forwardNamespace}`}, () => findFluxdPod(this.kube.api(CoreV1Api), forwardNamespace))
        const settings = fluxdGitSettings(pod)
        const name = pod.metadata?.name ?? '?'
        if (!settings.gitUrl) {
          this.log(`dry run: fluxd (pod ${name} in ${forwardNamespace}) has no --git-url, so a sync would find no repository; nothing was asked`)
          return {generation: 'v1', dryRun: true, wouldSync: []}
        }
        this.log(`dry run: would ask fluxd (pod ${name} in ${forwardNamespace}) to sync ${settings.branch} of ${settings.gitUrl} (its --git-url and --git-branch); nothing was asked`)
        return {generation: 'v1', dryRun: true, wouldSync: [`${settings.gitUrl}#${settings.branch}`]}
      }
      await confirm({yes: flags.yes, action: `ask fluxd in ${forwardNamespace} to sync with Git now`})
      const {result, pod} = await this.callApi({verb: 'port-forward to', target: `the flux pod in ${forwardNamespace}`}, () =>
        withFluxd(this.kube.kc, this.kube.api(CoreV1Api), forwardNamespace, flags['fluxd-port'], async (fluxd, pod) => {
          this.steps.action(`asking fluxd (pod ${pod} in ${forwardNamespace}) to sync`)
          const result = await fluxd.sync({timeoutMs: flags.timeout * 1000, onProgress: (message) => this.steps.action(message)})
          return {result, pod}
        }),
      )
      this.steps.done()
      this.log(`fluxd in ${forwardNamespace} has applied ${result.branch} at ${result.revision.slice(0, 12)} from ${result.gitUrl}`)
      return {generation: 'v1', dryRun: false, v1: {...result, pod}}
    }
    const namespace = flags['all-namespaces'] ? undefined : (this.flags.namespace ?? 'flux-system')
    const where = namespace ? `in ${namespace}` : 'in all namespaces'
    const objects = await this.callApi({verb: 'list', target: `Flux v2 objects ${where}`}, () => listToolkitObjects(this.kube.api(CustomObjectsApi), detected.served, namespace))
    const names = objects.filter((o) => !o.suspended).map((o) => `${o.kind} ${o.namespace}/${o.name}`)
    if (flags['dry-run']) {
      this.log(`dry run: would set reconcile.fluxcd.io/requestedAt on ${names.length} object${names.length === 1 ? '' : 's'}${names.length > 0 ? `: ${names.join(', ')}` : ''}; nothing was changed`)
      return {generation: 'v2', dryRun: true, wouldSync: names}
    }
    await confirm({yes: flags.yes, action: `request a reconcile of ${names.length} Flux v2 object${names.length === 1 ? '' : 's'} ${where}`})
    this.steps.action(`requesting a reconcile of Flux v2 objects ${namespace ? `in ${namespace}` : 'in all namespaces'}`)
    const results = await this.callApi({verb: 'reconcile', target: `Flux v2 objects ${namespace ? `in ${namespace}` : 'in all namespaces'}`}, () =>
      reconcileToolkit(this.kube.api(CustomObjectsApi), detected.served, namespace, {
        timeoutMs: flags.timeout * 1000,
        onProgress: (message) => this.steps.progress(message),
        onHandled: (r) => (r.ready === 'True' ? this.steps.success(`${r.kind} ${r.namespace}/${r.name} reconciled: Ready${r.revision ? ` at ${r.revision}` : ''}`) : this.steps.failure(`${r.kind} ${r.namespace}/${r.name} reconciled: not Ready (${r.reason ?? r.ready}${r.message ? `: ${r.message}` : ''})`)),
      }),
    )
    this.steps.done()
    for (const r of results.filter((r) => !r.handled)) this.steps.waiting(`${r.kind} ${r.namespace}/${r.name} is suspended: not reconciled`)
    const notReady = results.filter((r) => r.handled && r.ready !== 'True')
    if (notReady.length > 0) {
      if (this.jsonEnabled()) {
        process.exitCode = 6
        return {generation: 'v2', dryRun: false, v2: results}
      }
      throw new CliError('check-failed', `Flux v2 reconciled ${results.filter((r) => r.handled).length} objects; ${notReady.length} not Ready: ${notReady.map((r) => `${r.kind} ${r.namespace}/${r.name}`).join(', ')}`, {hint: 'see each object\'s message above, or `elife-k8s flux workloads --generation v2`'})
    }
    this.log(`Flux v2 reconciled ${results.filter((r) => r.handled).length} object${results.length === 1 ? '' : 's'}; all Ready`)
    return {generation: 'v2', dryRun: false, v2: results}
  }
}
