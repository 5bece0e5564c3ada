import * as Flags from '@oclif/core/flags'

import type {FluxTarget} from './action.js'
import {defaultFluxNamespace, fluxdPort} from './v1.js'

/** Flags the three `flux` commands share: where fluxd is (as fluxctl's) and which Flux. */
export const fluxFlags = {
  'k8s-fwd-ns': Flags.string({
    description: `Namespace of the Flux v1 (fluxd) pod to port-forward to, as fluxctl's (default: $FLUX_FORWARD_NAMESPACE, else "${defaultFluxNamespace}").`,
    env: 'FLUX_FORWARD_NAMESPACE',
    default: defaultFluxNamespace,
  }),
  generation: Flags.option({
    options: ['auto', 'v1', 'v2'] as const,
    default: 'auto',
    description: 'Which Flux: detected (a fluxd pod means v1, the toolkit CRDs v2), or forced.',
  })(),
  'fluxd-port': Flags.integer({description: "fluxd's API port in the pod.", default: fluxdPort}),
}

/** The flags above (and -n, -A) as the actions' input. */
export function fluxTarget(flags: {
  'k8s-fwd-ns': string
  generation: 'auto' | 'v1' | 'v2'
  'fluxd-port': number
  namespace?: string
  'all-namespaces'?: boolean
}): FluxTarget {
  return {
    forwardNamespace: flags['k8s-fwd-ns'],
    generation: flags.generation,
    fluxdPort: flags['fluxd-port'],
    namespace: flags.namespace,
    allNamespaces: flags['all-namespaces'] ?? false,
  }
}
