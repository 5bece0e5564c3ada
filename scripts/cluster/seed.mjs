// The demo state the fixtures cannot hold, because only real helm can make it: helm releases as
// production has them (deployed, one failed, one stuck in pending-upgrade), owned by HelmReleases
// of both Flux generations (helm-operator's helm.fluxcd.io/v1 in prod, helm-controller's
// helm.toolkit.fluxcd.io/v2 in stg), and the Alertmanager configuration Secret in adm. It is what
// `helm list/history/unstick/debug` and `alertmanager apply` act on after `npm run demo`.
//
// Made with the cluster's helm from test/fixtures/charts/elife-app, the chart the helm tests use.
// seed() runs on every `up`: a release already in its seeded state is left alone (two API reads),
// one that is not (say `helm unstick` fixed the stuck one) is uninstalled and made again; the
// HelmReleases and the Secret are re-applied with server-side apply, like the fixtures.

import {execFile, spawn} from 'node:child_process'
import fs from 'node:fs'
import https from 'node:https'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const repoRoot = path.resolve(here, '..', '..')
const CHARTS = path.join(repoRoot, 'test', 'fixtures', 'charts')
const CRDS = path.join(repoRoot, 'test', 'fixtures', 'crds')
const FIELD_MANAGER = 'elife-k8s-fixtures'

/**
 * The seeded releases. `steps` are helm commands after the install; `stuck` leaves the last one
 * in pending-upgrade the way production gets there: helm killed while it waits on a pre-upgrade
 * hook whose pod can never be scheduled.
 */
export const RELEASES = [
  {namespace: 'prod', name: 'observer', revision: 2, status: 'deployed', owner: 'helm.fluxcd.io/v1', upgrades: [['--set', 'replicas=2']]},
  {namespace: 'prod', name: 'annotations', revision: 2, status: 'failed', owner: 'helm.fluxcd.io/v1', upgrades: [['--set', 'broken=true']]},
  {namespace: 'stg', name: 'profiles', revision: 1, status: 'deployed', owner: 'helm.toolkit.fluxcd.io/v2', upgrades: []},
  {
    namespace: 'stg',
    name: 'observer',
    revision: 2,
    status: 'pending-upgrade',
    owner: 'helm.toolkit.fluxcd.io/v2',
    upgrades: [],
    stuck: ['--reuse-values', '--set', 'hangingHook=true', '--set', 'replicas=2'],
  },
]

export const ALERTMANAGER_SECRET = {namespace: 'adm', name: 'alertmanager-prometheus-operator'}

const ALERTMANAGER_YAML = `global:
  resolve_timeout: 5m
route:
  receiver: slack-alerts
  group_by: [alertname, namespace]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
  - receiver: 'null'
    matchers:
    - alertname = Watchdog
receivers:
- name: 'null'
- name: slack-alerts
  slack_configs:
  - api_url: https://hooks.slack.invalid/services/T000/B000/local-demo-not-a-secret
    channel: '#alerts-local'
    send_resolved: true
`

function helmReleaseManifest(r) {
  const values = `    image:\n      repository: elifesciences/${r.name}\n      tag: "abc1234"\n`
  if (r.owner === 'helm.fluxcd.io/v1') {
    return `apiVersion: helm.fluxcd.io/v1
kind: HelmRelease
metadata:
  name: ${r.name}
  namespace: ${r.namespace}
  annotations:
    fluxcd.io/automated: "false"
spec:
  releaseName: ${r.name}
  chart:
    git: git@github.com:elifesciences/elife-flux-cluster.git
    path: charts/elife-app
    ref: master
  values:
${values}`
  }
  return `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${r.name}
  namespace: ${r.namespace}
spec:
  interval: 5m
  chart:
    spec:
      chart: elife-app
      version: 0.1.0
      sourceRef:
        kind: HelmRepository
        name: elife
        namespace: flux
  values:
${values}`
}

function seedManifest() {
  const secret = `apiVersion: v1
kind: Secret
type: Opaque
metadata:
  name: ${ALERTMANAGER_SECRET.name}
  namespace: ${ALERTMANAGER_SECRET.namespace}
  labels:
    app: prometheus-operator-alertmanager
data:
  alertmanager.yaml: ${Buffer.from(ALERTMANAGER_YAML).toString('base64')}
`
  return [...RELEASES.map(helmReleaseManifest), secret].join('---\n')
}

function run(cmd, args, {env, timeoutMs = 180_000} = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, {env: {...process.env, ...env}, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024}, (err, stdout, stderr) => {
      if (err) {
        err.message = `${path.basename(cmd)} ${args.join(' ')} failed: ${(stderr || err.message).trim()}`
        reject(err)
      } else resolve({stdout, stderr})
    })
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** GET on the API server with the admin certificate, JSON back. */
function apiGet(state, urlPath) {
  const pki = path.join(state.stateDir, 'pki')
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: state.ports.apiServer,
        method: 'GET',
        path: urlPath,
        agent: false,
        timeout: 10_000,
        ca: fs.readFileSync(path.join(pki, 'ca.crt')),
        cert: fs.readFileSync(path.join(pki, 'admin.crt')),
        key: fs.readFileSync(path.join(pki, 'admin.key')),
      },
      (res) => {
        let data = ''
        res.setEncoding('utf8')
        res.on('data', (d) => (data += d))
        res.on('end', () =>
          res.statusCode === 200 ? resolve(JSON.parse(data)) : reject(new Error(`GET ${urlPath}: HTTP ${res.statusCode} ${data.slice(0, 300)}`)),
        )
      },
    )
    req.on('timeout', () => req.destroy(new Error(`GET ${urlPath} timed out`)))
    req.on('error', reject)
    req.end()
  })
}

/** The release's latest record as helm's Secret driver labels it: {revision, status}, or null. */
async function latestRecord(state, namespace, name) {
  const selector = encodeURIComponent(`owner=helm,name=${name}`)
  const {items} = await apiGet(state, `/api/v1/namespaces/${namespace}/secrets?labelSelector=${selector}`)
  const records = items.map((s) => ({revision: Number(s.metadata.labels?.version), status: s.metadata.labels?.status})).sort((a, b) => b.revision - a.revision)
  return records[0] ?? null
}

/** The charts copied into the state directory with their file:// dependency built (offline), once. */
async function prepareChart(state, helm, env) {
  const dir = path.join(state.stateDir, 'seed', 'charts')
  const chart = path.join(dir, 'elife-app')
  if (fs.existsSync(path.join(chart, 'charts', 'elife-lib-0.1.0.tgz'))) return chart
  fs.rmSync(dir, {recursive: true, force: true})
  fs.mkdirSync(dir, {recursive: true})
  fs.cpSync(path.join(CHARTS, 'elife-app'), chart, {recursive: true})
  fs.cpSync(path.join(CHARTS, 'elife-lib'), path.join(dir, 'elife-lib'), {recursive: true})
  await run(helm, ['dependency', 'update', '--skip-refresh', chart], {env})
  return chart
}

/** helm upgrade killed once it has written the pending-upgrade record and waits on its hook Job. */
async function killMidUpgrade(state, helm, env, release, chart) {
  const child = spawn(helm, ['upgrade', release.name, chart, '-n', release.namespace, '--kubeconfig', state.kubeconfig, ...release.stuck, '--timeout', '10m'], {
    env: {...process.env, ...env},
    stdio: 'ignore',
    detached: true,
  })
  child.on('error', () => {})
  try {
    for (let i = 0; i < 240; i++) {
      const latest = await latestRecord(state, release.namespace, release.name)
      const jobs = await apiGet(
        state,
        `/apis/batch/v1/namespaces/${release.namespace}/jobs?fieldSelector=${encodeURIComponent(`metadata.name=${release.name}-migrate`)}`,
      )
      if (latest?.status === 'pending-upgrade' && jobs.items.length > 0) return
      if (child.exitCode !== null) throw new Error(`helm upgrade ${release.name} -n ${release.namespace} ended (exit ${child.exitCode}) before it was stuck`)
      await sleep(250)
    }
    throw new Error(`helm upgrade ${release.name} -n ${release.namespace} never reached pending-upgrade`)
  } finally {
    try {
      process.kill(-child.pid, 'SIGKILL')
    } catch {}
  }
}

async function makeRelease(state, helm, env, release, chart, log) {
  const base = ['-n', release.namespace, '--kubeconfig', state.kubeconfig]
  if (await latestRecord(state, release.namespace, release.name)) {
    log(`seed: ${release.namespace}/${release.name} is not as seeded: making it again`)
    await run(helm, ['uninstall', release.name, ...base, '--no-hooks', '--ignore-not-found'], {env})
    // A hook Job a killed upgrade left behind.
    await run(state.binaries.kubectl, [
      '--kubeconfig',
      state.kubeconfig,
      'delete',
      'job',
      `${release.name}-migrate`,
      '-n',
      release.namespace,
      '--ignore-not-found',
      '--wait=false',
    ])
  }
  await run(
    helm,
    ['install', release.name, chart, ...base, '--set', `image.repository=elifesciences/${release.name}`, '--set', `config.environment=${release.namespace}`],
    {env},
  )
  for (const args of release.upgrades) {
    await run(helm, ['upgrade', release.name, chart, ...base, '--reuse-values', ...args], {env}).catch((err) => {
      if (release.status !== 'failed') throw err // the failed one fails here, as intended
    })
  }
  if (release.stuck) await killMidUpgrade(state, helm, env, release, chart)
  const latest = await latestRecord(state, release.namespace, release.name)
  if (latest?.revision !== release.revision || latest?.status !== release.status) {
    throw new Error(
      `seed: ${release.namespace}/${release.name} ended at revision ${latest?.revision} ${latest?.status}, not ${release.revision} ${release.status}`,
    )
  }
}

/**
 * Seeds (or restores) the releases, HelmReleases and Alertmanager Secret. Returns what it did:
 * {made: ['prod/observer', ...], kept: [...]}.
 */
export async function seed(state, {log = () => {}} = {}) {
  const kubectl = state.binaries.kubectl
  const helm = state.binaries.helm
  const home = path.join(state.stateDir, 'seed', 'helm-home')
  const env = {
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_DATA_HOME: path.join(home, 'data'),
    HELM_DRIVER: 'secret',
  }
  const k = ['--kubeconfig', state.kubeconfig]

  // The HelmRelease CRDs of both generations (as the helm tests apply them: client-side), then the
  // HelmReleases and the Secret (server-side, forced, like the fixtures).
  await run(kubectl, [...k, 'apply', '-f', CRDS])
  await run(kubectl, [
    ...k,
    'wait',
    '--for',
    'condition=Established',
    '--timeout',
    '60s',
    'crd/helmreleases.helm.fluxcd.io',
    'crd/helmreleases.helm.toolkit.fluxcd.io',
  ])
  const manifest = path.join(state.stateDir, 'seed', 'seed.yaml')
  fs.mkdirSync(path.dirname(manifest), {recursive: true})
  fs.writeFileSync(manifest, seedManifest())
  for (let attempt = 1; ; attempt++) {
    try {
      // A CRD just created answers 404/429 for a moment after it is Established.
      await run(kubectl, [...k, 'apply', '--server-side', '--force-conflicts', `--field-manager=${FIELD_MANAGER}`, '-f', manifest])
      break
    } catch (err) {
      if (attempt >= 20) throw err
      await sleep(500)
    }
  }

  const made = []
  const kept = []
  let chart
  for (const release of RELEASES) {
    const latest = await latestRecord(state, release.namespace, release.name)
    if (latest?.revision === release.revision && latest?.status === release.status) {
      kept.push(`${release.namespace}/${release.name}`)
      continue
    }
    chart ??= await prepareChart(state, helm, env)
    log(`seed: helm release ${release.namespace}/${release.name} (${release.status}, revision ${release.revision})`)
    await makeRelease(state, helm, env, release, chart, log)
    made.push(`${release.namespace}/${release.name}`)
  }
  return {made, kept}
}
