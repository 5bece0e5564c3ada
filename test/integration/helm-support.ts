import {spawn} from 'node:child_process'
import {cpSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {repoRoot, runCli, type RunResult, runTool} from '../helpers/cli.js'
import {clusterClients as clients, helmBin, kubeconfig, kubectl, randomSuffix} from '../helpers/cluster.js'

/** Shared set-up for the helm integration tests: real helm, real API server, local charts. */
export {repoRoot}
export type {RunResult}
export {binDir, clusterClients as clients, helmBin, kubeconfig, kubectl, kubectlBin, randomSuffix, viewerKubeconfig} from '../helpers/cluster.js'

/** The built CLI in its own process, as a user runs it (stdin is not a terminal). */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return runCli(args, {env: {ELIFE_K8S_HELM: helmBin, ...env}, timeoutMs: 240_000})
}

/** The real helm, against the same cluster, with its caches in a scratch HOME. */
export const helmHome = mkdtempSync(path.join(tmpdir(), 'elife-k8s-helm-home-'))
export const helmEnv = {
  HELM_CACHE_HOME: path.join(helmHome, 'cache'),
  HELM_CONFIG_HOME: path.join(helmHome, 'config'),
  HELM_DATA_HOME: path.join(helmHome, 'data'),
}

export function helm(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return runTool(helmBin, [...args, '--kubeconfig', kubeconfig], {env: {...helmEnv, ...env}})
}

/** The test charts copied to a scratch directory, dependencies fetched (file://, offline). */
export async function prepareCharts(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'elife-k8s-charts-'))
  cpSync(path.join(repoRoot, 'test/fixtures/charts'), dir, {recursive: true})
  const dep = await helm(['dependency', 'update', path.join(dir, 'elife-app')])
  if (dep.exitCode !== 0) throw new Error(`helm dependency update failed: ${dep.stderr}`)
  return path.join(dir, 'elife-app')
}

/** Applies the HelmRelease CRDs of both generations and Flux v2's chart source CRDs (idempotent), and waits until they are served. */
export async function installHelmReleaseCrds(): Promise<void> {
  const applied = await kubectl(['apply', '-f', path.join(repoRoot, 'test/fixtures/crds')])
  if (applied.exitCode !== 0) throw new Error(`kubectl apply CRDs failed: ${applied.stderr}`)
  const ready = await kubectl([
    'wait',
    '--for',
    'condition=Established',
    '--timeout',
    '60s',
    'crd/helmreleases.helm.fluxcd.io',
    'crd/helmreleases.helm.toolkit.fluxcd.io',
    'crd/helmrepositories.source.toolkit.fluxcd.io',
    'crd/gitrepositories.source.toolkit.fluxcd.io',
  ])
  if (ready.exitCode !== 0) throw new Error(`CRDs not established: ${ready.stderr}`)
  // Established stays True while an updated CRD's storage re-initializes (other test files apply
  // their own versions of these CRDs); lists answer 429 "storage is (re)initializing" meanwhile.
  for (const resource of [
    'helmreleases.helm.fluxcd.io',
    'helmreleases.helm.toolkit.fluxcd.io',
    'helmrepositories.source.toolkit.fluxcd.io',
    'gitrepositories.source.toolkit.fluxcd.io',
  ]) {
    for (let attempt = 0; ; attempt++) {
      const listed = await kubectl(['get', resource, '-A', '-o', 'name'])
      if (listed.exitCode === 0) break
      if (attempt >= 60) throw new Error(`${resource} is not served: ${listed.stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }
}

export async function createNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomSuffix()}`
  const {core} = clients()
  await core.createNamespace({body: {metadata: {name, labels: {'elife-k8s.elifesciences.org/test': 'helm'}}}})
  return name
}

export async function deleteNamespace(name: string): Promise<void> {
  const {core} = clients()
  await core.deleteNamespace({name}).catch(() => undefined)
}

/** helm history as helm itself reports it. */
export async function helmHistory(
  release: string,
  namespace: string,
  env: NodeJS.ProcessEnv = {},
): Promise<Array<{revision: number; status: string; chart: string; app_version: string; description: string}>> {
  const result = await helm(['history', release, '-n', namespace, '-o', 'json'], env)
  if (result.exitCode !== 0) throw new Error(`helm history failed: ${result.stderr}`)
  return JSON.parse(result.stdout)
}

/** `helm status` as JSON, or the error line when helm says there is no such release. */
export async function helmStatus(release: string, namespace: string): Promise<{status?: string; version?: number; error?: string}> {
  const result = await helm(['status', release, '-n', namespace, '-o', 'json'])
  if (result.exitCode !== 0) return {error: result.stderr.trim()}
  const parsed = JSON.parse(result.stdout) as {info: {status: string}; version: number}
  return {status: parsed.info.status, version: parsed.version}
}

/**
 * Leaves a release in pending-upgrade the way it happens in production: a real `helm upgrade`
 * is started with a pre-upgrade hook Job that can never be scheduled, so helm waits on it; once
 * helm has written the pending-upgrade record it is killed with SIGKILL, mid-operation.
 */
export async function killHelmMidUpgrade(release: string, namespace: string, chart: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<void> {
  const {core} = clients()
  const child = spawn(
    helmBin,
    ['upgrade', release, chart, '-n', namespace, '--kubeconfig', kubeconfig, '--set', 'hangingHook=true', '--set', 'replicas=2', '--timeout', '10m', ...extra],
    {
      env: {...process.env, ...helmEnv, ...env},
      stdio: 'ignore',
    },
  )
  try {
    const driverConfigMap = env.HELM_DRIVER === 'configmap'
    for (let i = 0; i < 200; i++) {
      const selector = `owner=helm,name=${release},status=pending-upgrade`
      const found = driverConfigMap
        ? (await core.listNamespacedConfigMap({namespace, labelSelector: selector})).items
        : (await core.listNamespacedSecret({namespace, labelSelector: selector})).items
      // Once the hook Job exists, helm is inside the operation, waiting on it.
      const job = await kubectl(['get', 'job', `${release}-migrate`, '-n', namespace, '-o', 'name'])
      if (found.length > 0 && job.exitCode === 0) return
      await new Promise((r) => setTimeout(r, 250))
    }
    throw new Error(`helm upgrade of ${release} never reached pending-upgrade`)
  } finally {
    child.kill('SIGKILL')
    await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(undefined)))
  }
}

/** resourceVersions of every helm record and HelmRelease in a namespace: "nothing changed" is these being equal. */
export async function snapshot(namespace: string): Promise<Record<string, string>> {
  const {core, custom} = clients()
  const out: Record<string, string> = {}
  for (const s of (await core.listNamespacedSecret({namespace})).items) out[`secret/${s.metadata?.name}`] = s.metadata?.resourceVersion ?? ''
  for (const c of (await core.listNamespacedConfigMap({namespace, labelSelector: 'owner=helm'})).items)
    out[`configmap/${c.metadata?.name}`] = c.metadata?.resourceVersion ?? ''
  for (const [group, version] of [
    ['helm.fluxcd.io', 'v1'],
    ['helm.toolkit.fluxcd.io', 'v2'],
  ] as const) {
    const list = (await custom.listNamespacedCustomObject({group, version, namespace, plural: 'helmreleases'})) as {
      items: Array<{metadata: {name: string; resourceVersion: string}}>
    }
    for (const hr of list.items) out[`${group}/${hr.metadata.name}`] = hr.metadata.resourceVersion
  }
  return out
}

export async function createHelmRelease(
  apiVersion: 'helm.fluxcd.io/v1' | 'helm.toolkit.fluxcd.io/v2',
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  const {custom} = clients()
  const [group, version] = apiVersion.split('/') as [string, string]
  await custom.createNamespacedCustomObject({
    group,
    version,
    namespace,
    plural: 'helmreleases',
    body: {apiVersion, kind: 'HelmRelease', metadata: {name, namespace}, spec},
  })
}

export async function getHelmRelease(apiVersion: string, namespace: string, name: string): Promise<{metadata: {annotations?: Record<string, string>}}> {
  const {custom} = clients()
  const [group, version] = apiVersion.split('/') as [string, string]
  return (await custom.getNamespacedCustomObject({group, version, namespace, plural: 'helmreleases', name})) as {
    metadata: {annotations?: Record<string, string>}
  }
}
