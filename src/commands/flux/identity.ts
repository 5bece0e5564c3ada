import {ApiextensionsV1Api, CoreV1Api, CustomObjectsApi} from '@kubernetes/client-node'

import {BaseCommand, namespaceFlag} from '../../base-command.js'
import {CliError} from '../../lib/errors.js'
import {fluxFlags} from '../../lib/flux/flags.js'
import {detectGeneration, type FluxGeneration} from '../../lib/flux/generation.js'
import {withFluxd} from '../../lib/flux/v1.js'
import {toolkitIdentity} from '../../lib/flux/v2.js'

export interface FluxIdentityResult {
  generation: FluxGeneration
  /** The public key(s) to add to the Git repository as a deploy key with write access. */
  keys: Array<{key: string; from: string}>
}

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
    const {flags} = this
    const forwardNamespace = flags['k8s-fwd-ns']
    const detected = await this.callApi({verb: 'look for', target: `Flux in ${forwardNamespace}`}, () =>
      detectGeneration({core: this.kube.api(CoreV1Api), extensions: this.kube.api(ApiextensionsV1Api)}, {forwardNamespace, forced: flags.generation === 'auto' ? undefined : flags.generation}),
    )
    if (detected.generation === 'v1') {
      const {key, pod} = await this.callApi({verb: 'port-forward to', target: `the flux pod in ${forwardNamespace}`}, () =>
        withFluxd(this.kube.kc, this.kube.api(CoreV1Api), forwardNamespace, flags['fluxd-port'], async (fluxd, pod) => ({key: (await fluxd.identity()).key, pod})),
      )
      this.log(key)
      this.steps.success(`fluxd (pod ${pod} in ${forwardNamespace}) uses this key; add it to the Git repository as a deploy key with write access`)
      return {generation: 'v1', keys: [{key, from: `fluxd pod ${forwardNamespace}/${pod}`}]}
    }
    const namespace = this.flags.namespace ?? 'flux-system'
    const identities = await this.callApi({verb: 'read', target: `GitRepository secrets in ${namespace}`}, () =>
      toolkitIdentity(this.kube.api(CustomObjectsApi), this.kube.api(CoreV1Api), detected.served, namespace),
    )
    if (identities.length === 0) {
      throw new CliError('not-found', `no GitRepository in ${namespace} has a secretRef Secret with identity.pub`, {hint: 'pass -n with the namespace of the GitRepository (flux-system by default), or check it uses an SSH URL'})
    }
    for (const identity of identities) this.log(identity.key)
    this.steps.success(`from ${identities.map((i) => `secret ${i.secret} (GitRepository ${i.gitRepository})`).join(', ')}; add it to the Git repository as a deploy key with write access`)
    return {generation: 'v2', keys: identities.map((i) => ({key: i.key, from: `secret ${namespace}/${i.secret}`}))}
  }
}
