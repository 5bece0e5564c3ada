import type {ApiextensionsV1Api, CoreV1Api} from '@kubernetes/client-node'

import {CliError} from '../errors.js'
import {fluxdLabelSelector, listFluxdPods} from './v1.js'
import {isFluxV2, type ServedKind, servedToolkitKinds} from './v2.js'

export type FluxGeneration = 'v1' | 'v2'

export interface DetectedGeneration {
  generation: FluxGeneration
  /** Why: what was found (or that it was forced). */
  evidence: string
  /** The toolkit kinds served (needed for v2). */
  served: ServedKind[]
}

/**
 * Flux v1 when a fluxd pod (label app=flux) is in the forward namespace; else Flux v2 when the
 * toolkit's GitRepository and Kustomization CRDs are installed. --generation skips the guess.
 */
export async function detectGeneration(
  clients: {core: CoreV1Api; extensions: ApiextensionsV1Api},
  options: {forwardNamespace: string; forced?: FluxGeneration},
): Promise<DetectedGeneration> {
  if (options.forced === 'v1') return {generation: 'v1', evidence: '--generation v1', served: []}
  const served = await servedToolkitKinds(clients.extensions)
  if (options.forced === 'v2') return {generation: 'v2', evidence: '--generation v2', served}
  const pods = await listFluxdPods(clients.core, options.forwardNamespace)
  if (pods.length > 0) return {generation: 'v1', evidence: `fluxd pod ${pods[0].metadata?.name} (${fluxdLabelSelector}) in ${options.forwardNamespace}`, served}
  if (isFluxV2(served))
    return {generation: 'v2', evidence: 'the toolkit CRDs gitrepositories.source.toolkit.fluxcd.io and kustomizations.kustomize.toolkit.fluxcd.io', served}
  throw new CliError('not-found', `no Flux found: no fluxd pod (${fluxdLabelSelector}) in namespace ${options.forwardNamespace}, and no Flux v2 toolkit CRDs`, {
    hint: "pass --k8s-fwd-ns (or FLUX_FORWARD_NAMESPACE) naming flux's namespace, or --generation v1|v2",
  })
}
