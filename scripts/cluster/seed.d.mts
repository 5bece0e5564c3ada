// Types for seed.mjs (plain JavaScript, like harness.mjs).

export interface SeededRelease {
  namespace: string
  name: string
  revision: number
  status: 'deployed' | 'failed' | 'pending-upgrade'
  owner: 'helm.fluxcd.io/v1' | 'helm.toolkit.fluxcd.io/v2'
  upgrades: string[][]
  stuck?: string[]
}

export const RELEASES: SeededRelease[]
export const ALERTMANAGER_SECRET: {namespace: string; name: string}

/** The parts of cluster.json seed() uses. */
export interface SeedState {
  stateDir: string
  kubeconfig: string
  ports: {apiServer: number}
  binaries: {kubectl: string; helm: string}
}

/** Seeds (or puts back) the releases, HelmReleases and Alertmanager Secret; says which releases it made and which it kept. */
export function seed(state: SeedState, opts?: {log?: (msg: string) => void}): Promise<{made: string[]; kept: string[]}>
