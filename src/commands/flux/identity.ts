import {BaseCommand, namespaceFlag} from '../../base-command.js'
import {type FluxIdentityResult, fluxIdentityAction} from '../../lib/flux/action.js'
import {fluxFlags, fluxTarget} from '../../lib/flux/flags.js'

export type {FluxIdentityResult} from '../../lib/flux/action.js'

export default class FluxIdentity extends BaseCommand<typeof FluxIdentity> {
  static override summary = 'Print the public SSH key Flux uses for Git (the deploy key), as `fluxctl identity` does.'

  static override description = `Replaces \`fluxctl identity --k8s-fwd-ns flux\` (runbook bootstrap step 3).

Flux v1: asks fluxd's API (POST /api/flux/v9/git-repo-config) through a port-forward to the flux pod (label app=flux) in --k8s-fwd-ns, through the API server as fluxctl does, and prints the public half of the flux-git-deploy identity.
Flux v2: prints identity.pub of each GitRepository's secretRef Secret in -n (default flux-system) or -A.

Add the key to the GitHub repository as a deploy key WITH write access (flux v1 pushes tags and image updates).`

  static override examples = [
    {description: 'The deploy key of the flux in namespace flux', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Another namespace, like fluxctl', command: 'FLUX_FORWARD_NAMESPACE=flux-test <%= config.bin %> <%= command.id %>'},
    {description: 'Flux v2', command: '<%= config.bin %> <%= command.id %> --generation v2 -n flux-system'},
  ]

  static override flags = {
    /** Flux v2's objects live in flux-system (Flux v1's fluxd is found by --k8s-fwd-ns). */
    namespace: namespaceFlag('flux-system'),
    ...fluxFlags,
  }

  public async run(): Promise<FluxIdentityResult> {
    const result = await fluxIdentityAction.run(this.ctx, fluxTarget(this.flags))
    for (const {key} of result.keys) this.io.log(key)
    this.io.say(`from ${result.keys.map((k) => k.from).join(', ')}: add it to the Git repository as a deploy key with write access`)
    return result
  }
}
