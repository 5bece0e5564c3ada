// Local Kubernetes test cluster: etcd + kube-apiserver + kube-controller-manager +
// kube-scheduler as real processes, with kwok playing the kubelets of a few fake EKS nodes, seeded
// with an eLife-like state (scripts/cluster/fixtures). cluster.mjs is the CLI around this module;
// the vitest global setup (test/setup/cluster-global.ts) and the benchmarks import it directly.
//
// Only Node built-ins are used, so it works before `npm install`. The binaries come from
// build.sh (built once from the Go module proxy and cached outside the repo); PKI is made with
// the openssl command; fixtures are applied with the built kubectl.
//
// State lives in one directory (default <repo>/.cluster, or $ELIFE_K8S_CLUSTER_DIR):
//   cluster.json            ports, pids, versions, paths, extra API server args (no private keys)
//   kubeconfig              admin (O=system:masters), context elife-local; self-contained
//   kubeconfig-viewer       user `viewer` (may only read pods in stg), context elife-local-viewer
//   bin/                    symlinks to the binaries in use (kubectl, helm, kube-apiserver, ...)
//   pki/ kubeconfigs/       certificates/keys, and the control plane components' own kubeconfigs
//   etcd/                   etcd data (wiped whenever the cluster is started fresh)
//   kwok/                   kwok's config (stages, logs/exec/port-forward simulation) and fake logs
//   logs/<name>.log pids/<name>.pid   one per process; every process leads its own process group
//
// Modules: common.mjs (constants, helpers), binaries.mjs (build.sh, binary paths), processes.mjs
// (start/stop, pid files), pki.mjs (ports, certificates, kubeconfigs), api.mjs (API server and
// etcd health), state.mjs (cluster.json, lock), components.mjs (command lines, kwok config),
// fixtures.mjs (apply and wait), seed.mjs (helm releases, HelmReleases, Alertmanager Secret).

import fs from 'node:fs'
import path from 'node:path'

import {COMPONENTS, MARKER, makeLogger, resolveDir} from './common.mjs'
import {binaryPaths, build, readVersions} from './binaries.mjs'
import {isOurProcess, readPid, startComponent, stopAll, stopComponent} from './processes.mjs'
import {freePorts, makePki} from './pki.mjs'
import {apiServerReady, etcdHealthy, waitFor} from './api.mjs'
import {isHealthy, readState, wipeStateDir, withLock, writeState} from './state.mjs'
import {componentArgs, linkBinaries, writeKubeconfigs, writeKwokConfig} from './components.mjs'
import {applyAll, applyNodes, waitForFixtures} from './fixtures.mjs'
import {seed} from './seed.mjs'

export {CONTEXT, VIEWER_CONTEXT, defaultStateDir, repoRoot} from './common.mjs'
export {apiServerArgs} from './components.mjs'

function publicInfo(state, extra = {}) {
  return {
    kubeconfig: state.kubeconfig,
    viewerKubeconfig: state.viewerKubeconfig,
    server: state.server,
    binDir: state.binDir,
    stateDir: state.stateDir,
    ...extra,
  }
}

async function startFresh({stateDir, bins, binRoot, versions, extraApiServerArgs, log}) {
  wipeStateDir(stateDir)
  for (const sub of ['pids', 'logs', 'kubeconfigs', 'etcd']) fs.mkdirSync(path.join(stateDir, sub), {recursive: true, mode: 0o700})
  fs.writeFileSync(path.join(stateDir, MARKER), 'State of the local test cluster (scripts/cluster/harness.mjs). Safe to delete when it is down.\n')

  const [etcdClient, etcdPeer, apiServer, kwok, kubeletFront] = await freePorts(5)
  const state = {
    formatVersion: 1,
    stateDir,
    server: `https://127.0.0.1:${apiServer}`,
    kubeconfig: path.join(stateDir, 'kubeconfig'),
    viewerKubeconfig: path.join(stateDir, 'kubeconfig-viewer'),
    binDir: path.join(stateDir, 'bin'),
    binRoot,
    binaries: bins,
    versions,
    ports: {etcdClient, etcdPeer, apiServer, kwok, kubeletFront},
    extraApiServerArgs: extraApiServerArgs ?? [],
    components: {},
    createdAt: new Date().toISOString(),
  }
  log(`generating certificates in ${path.join(stateDir, 'pki')}`)
  await makePki(path.join(stateDir, 'pki'))
  writeKubeconfigs(state)
  writeKwokConfig(state)
  linkBinaries(state, bins)
  writeState(state)

  const start = (name) => {
    state.components[name] = startComponent(stateDir, name, bins[name], componentArgs(state, name))
    writeState(state) // after every start, so a crash half-way still leaves the pids to clean up
  }
  log(`starting etcd on 127.0.0.1:${etcdClient}`)
  start('etcd')
  await waitFor('etcd health', () => etcdHealthy(etcdClient), {timeoutMs: 30_000, stateDir, component: 'etcd'})
  log(`starting kube-apiserver on ${state.server}`)
  start('kube-apiserver')
  await waitFor('kube-apiserver /readyz', () => apiServerReady(state), {timeoutMs: 90_000, stateDir, component: 'kube-apiserver'})
  log('starting kube-controller-manager and kube-scheduler')
  start('kube-controller-manager')
  start('kube-scheduler')
  // kwok starts only once the nodes carry their fixture status, so it never initialises a node
  // with its own defaults first.
  log('applying fixture nodes')
  await applyNodes(state)
  log(`starting kubelet-front on 127.0.0.1:${kubeletFront} and kwok (kubelet-like server on 127.0.0.1:${kwok})`)
  start('kubelet-front')
  start('kwok')
  return state
}

/**
 * Brings the cluster up, or reuses it when the one in `dir` is already running and healthy (then
 * only the fixtures are re-applied). A stale state (crashed or killed processes) is cleaned up
 * and the cluster started fresh, with new etcd data.
 *
 * @param {object} [opts]
 * @param {string} [opts.dir] state directory (default $ELIFE_K8S_CLUSTER_DIR or <repo>/.cluster)
 * @param {boolean} [opts.quiet] no progress output on stderr
 * @param {string[]} [opts.extraApiServerArgs] `--flag=value` strings appended to kube-apiserver's
 *   flags (replacing base flags of the same name) and kept in cluster.json. When given for a
 *   running cluster whose extra args differ, only the API server is restarted with them.
 * @param {number} [opts.timeoutMs] how long to wait for the fixtures to be running (default 180s)
 * @param {boolean} [opts.seed] seed helm releases, HelmReleases and the Alertmanager Secret
 *   (seed.mjs; default true): a private cluster of one test file may not need them
 * @returns {Promise<{kubeconfig: string, viewerKubeconfig: string, server: string, binDir: string, stateDir: string, reused: boolean}>}
 */
export async function up(opts = {}) {
  const stateDir = resolveDir(opts.dir)
  const log = makeLogger(opts.quiet)
  const timeoutMs = opts.timeoutMs ?? 180_000
  if (opts.extraApiServerArgs !== undefined && (!Array.isArray(opts.extraApiServerArgs) || opts.extraApiServerArgs.some((a) => typeof a !== 'string'))) {
    throw new TypeError('extraApiServerArgs must be an array of strings')
  }
  return withLock(stateDir, async () => {
    const t0 = Date.now()
    const binRoot = await build(opts.quiet)
    const versions = readVersions()
    const bins = binaryPaths(binRoot, versions)
    for (const [name, file] of Object.entries(bins)) {
      if (!fs.existsSync(file)) throw new Error(`${name} not found at ${file} after build.sh`)
    }

    let state = readState(stateDir)
    let reused = false
    // A running cluster built from other versions (versions.env changed since) is not reused.
    // So does one whose kubelet-front was built from other source.
    const sameVersions = JSON.stringify(state?.versions) === JSON.stringify(versions) && state?.binaries?.['kubelet-front'] === bins['kubelet-front']
    if (state && !sameVersions) log(`versions changed (${JSON.stringify(state.versions)} -> ${JSON.stringify(versions)}): starting fresh`)
    if (state && sameVersions && (await isHealthy(state))) {
      reused = true
      log(`reusing the running cluster in ${stateDir} (${state.server})`)
      state.binaries = bins
      state.binRoot = binRoot
      linkBinaries(state, bins)
      const wanted = opts.extraApiServerArgs
      if (wanted && JSON.stringify(wanted) !== JSON.stringify(state.extraApiServerArgs ?? [])) {
        log('extra API server args changed: restarting kube-apiserver')
        state.extraApiServerArgs = wanted
        await restartApiServerLocked(state, log)
      }
      await applyNodes(state)
    } else {
      if (state || fs.existsSync(stateDir)) {
        log(`cleaning up the stale cluster state in ${stateDir}`)
        await stopAll(stateDir)
      }
      state = await startFresh({stateDir, bins, binRoot, versions, extraApiServerArgs: opts.extraApiServerArgs, log})
    }

    log('applying fixtures (server-side apply)')
    const applied = await applyAll(state)
    log('waiting for nodes Ready and fixture pods Running')
    const counts = await waitForFixtures(state, applied, {timeoutMs, log})
    if (opts.seed !== false) {
      const seeded = await seed(state, {log})
      log(
        `seeded: ${seeded.made.length ? `made ${seeded.made.join(', ')}` : 'every helm release was already as seeded'}; HelmReleases and the Alertmanager Secret re-applied`,
      )
    }
    writeState(state)
    const secs = ((Date.now() - t0) / 1000).toFixed(1)
    log(
      `${reused ? 'reused' : 'up'} in ${secs}s: ${counts.nodes} nodes, ${counts.running}/${counts.pods} pods Running in the fixture namespaces (${counts.pendingByDesign} Pending by design)`,
    )
    return publicInfo(state, {reused})
  })
}

/** Stops every process of the cluster in `dir` (if any) and removes its state directory. */
export async function down(opts = {}) {
  const stateDir = resolveDir(opts.dir)
  const log = makeLogger(opts.quiet)
  return withLock(stateDir, async () => {
    if (!fs.existsSync(stateDir)) {
      log(`nothing to stop: ${stateDir} does not exist`)
      return {stateDir, stopped: false}
    }
    log(`stopping the cluster in ${stateDir}`)
    await stopAll(stateDir)
    wipeStateDir(stateDir)
    log('stopped and removed')
    return {stateDir, stopped: true}
  })
}

/** Whether the cluster in `dir` is up, with its processes and connection details. */
export async function status(opts = {}) {
  const stateDir = resolveDir(opts.dir)
  const state = readState(stateDir)
  if (!state) return {up: false, stateDir, reason: fs.existsSync(stateDir) ? 'no cluster.json' : 'no state directory'}
  const components = Object.fromEntries(
    COMPONENTS.map((name) => {
      const pid = readPid(stateDir, name)
      return [name, {pid, running: isOurProcess(pid, stateDir)}]
    }),
  )
  const ready = await apiServerReady(state)
  const allRunning = Object.values(components).every((c) => c.running)
  return {
    up: ready && allRunning,
    apiServerReady: ready,
    reason:
      ready && allRunning
        ? undefined
        : !ready
          ? 'kube-apiserver is not ready'
          : `not running: ${Object.entries(components)
              .filter(([, c]) => !c.running)
              .map(([n]) => n)
              .join(', ')}`,
    ...publicInfo(state),
    ports: state.ports,
    versions: state.versions,
    extraApiServerArgs: state.extraApiServerArgs ?? [],
    components,
  }
}

async function restartApiServerLocked(state, log) {
  const stateDir = state.stateDir
  log('stopping kube-apiserver')
  await stopComponent(stateDir, 'kube-apiserver')
  log('starting kube-apiserver')
  state.components['kube-apiserver'] = startComponent(stateDir, 'kube-apiserver', state.binaries['kube-apiserver'], componentArgs(state, 'kube-apiserver'))
  writeState(state)
  await waitFor('kube-apiserver /readyz', () => apiServerReady(state), {timeoutMs: 90_000, stateDir, component: 'kube-apiserver'})
}

/**
 * Stops and starts only kube-apiserver, on the same port with the same flags (for fault
 * injection: clients see the API server go away and come back). Pass `extraApiServerArgs` to
 * change the extra flags at the same time (kept in cluster.json).
 */
export async function restartApiServer(opts = {}) {
  const stateDir = resolveDir(opts.dir)
  const log = makeLogger(opts.quiet)
  return withLock(stateDir, async () => {
    const state = readState(stateDir)
    if (!state) throw new Error(`no cluster in ${stateDir}`)
    if (opts.extraApiServerArgs) state.extraApiServerArgs = opts.extraApiServerArgs
    await restartApiServerLocked(state, log)
    return publicInfo(state)
  })
}
