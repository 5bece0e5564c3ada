import * as Flags from '@oclif/core/flags'

import {allNamespacesFlag, BaseCommand, namespaceFlag} from '../../base-command.js'
import {runAction} from '../../lib/cli/action.js'
import {fluxSyncAction, type FluxSyncResult} from '../../lib/flux/action.js'
import {fluxFlags, fluxTarget} from '../../lib/flux/flags.js'
import {plural} from '../../lib/render/number.js'

export type {FluxSyncResult} from '../../lib/flux/action.js'

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
    'dry-run': Flags.boolean({
      description: "Show what would be synced, read from the API server (the flux pod's flags, or the Flux v2 objects); contact no Flux controller.",
      default: false,
    }),
    yes: Flags.boolean({char: 'y', description: 'Do not ask for confirmation.', default: false}),
  }

  public async run(): Promise<FluxSyncResult> {
    const {flags} = this
    const result = await runAction(this.ctx, fluxSyncAction, {...fluxTarget(flags), timeoutSeconds: flags.timeout}, {dryRun: flags['dry-run'], yes: flags.yes})
    if (result.v1) this.io.say(`fluxd in ${flags['k8s-fwd-ns']} has applied ${result.v1.branch} at ${result.v1.revision.slice(0, 12)} from ${result.v1.gitUrl}`)
    if (result.v2 && !result.failed) this.io.say(`Flux v2 reconciled ${plural(result.v2.filter((r) => r.handled).length, 'object')}; all Ready`)
    return result
  }
}
