// Vitest global setup of the `integration` project: one Kubernetes cluster for the whole run.
//
// - ELIFE_K8S_TEST_KUBECONFIG set (by the user): use that existing cluster (kind, k3d, a real
//   one...) as is; nothing is started or stopped. ELIFE_K8S_TEST_VIEWER_KUBECONFIG and
//   ELIFE_K8S_TEST_BIN may name its restricted-user kubeconfig and a directory with kubectl/helm.
// - Otherwise: the local cluster of scripts/cluster/harness.mjs in <repo>/.cluster (or
//   $ELIFE_K8S_CLUSTER_DIR), started (binaries built on first use) or reused if already running.
//   It is stopped at the end only if this run started it; a cluster that was already running
//   (e.g. from `npm run cluster:up`) is left running, with its fixtures re-applied.
//
// Tests read the paths with `inject('kubeconfig')` etc.; child processes get them through
// ELIFE_K8S_TEST_KUBECONFIG / ELIFE_K8S_TEST_BIN.
import type {TestProject} from 'vitest/node'

import {down, up} from '../../scripts/cluster/harness.mjs'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin kubeconfig of the test cluster. */
    kubeconfig: string
    /** Kubeconfig of a user who may only get/list/watch pods in namespace stg ('' if unknown). */
    viewerKubeconfig: string
    /** Directory holding kubectl (and helm) matching the cluster ('' to use PATH). */
    binDir: string
  }
}

// Set by this file when it points ELIFE_K8S_TEST_KUBECONFIG at the cluster it manages, so that a
// second setup in the same process (watch mode re-runs, several projects) does not mistake that
// for a user-provided cluster.
const OWN_MARK = 'ELIFE_K8S_TEST_KUBECONFIG_FROM_SETUP'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env[OWN_MARK] ? undefined : process.env.ELIFE_K8S_TEST_KUBECONFIG
  if (external) {
    project.provide('kubeconfig', external)
    project.provide('viewerKubeconfig', process.env.ELIFE_K8S_TEST_VIEWER_KUBECONFIG ?? '')
    project.provide('binDir', process.env.ELIFE_K8S_TEST_BIN ?? '')
    return async () => {}
  }

  const saved = {
    kubeconfig: process.env.ELIFE_K8S_TEST_KUBECONFIG,
    bin: process.env.ELIFE_K8S_TEST_BIN,
    mark: process.env[OWN_MARK],
  }
  // Progress (and, on a fresh machine, the long first build) is reported on stderr.
  const cluster = await up({quiet: !!process.env.ELIFE_K8S_CLUSTER_QUIET})
  const startedHere = !cluster.reused

  project.provide('kubeconfig', cluster.kubeconfig)
  project.provide('viewerKubeconfig', cluster.viewerKubeconfig)
  project.provide('binDir', cluster.binDir)
  process.env.ELIFE_K8S_TEST_KUBECONFIG = cluster.kubeconfig
  process.env.ELIFE_K8S_TEST_BIN = cluster.binDir
  process.env[OWN_MARK] = '1'

  return async () => {
    const restore = (name: string, value: string | undefined) => {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
    restore('ELIFE_K8S_TEST_KUBECONFIG', saved.kubeconfig)
    restore('ELIFE_K8S_TEST_BIN', saved.bin)
    restore(OWN_MARK, saved.mark)
    if (startedHere) await down({dir: cluster.stateDir, quiet: true})
  }
}
