// `elife-k8s flux identity | workloads | sync` for Flux v1 against a test server speaking fluxd's
// HTTP API (test/setup/fluxd-server.ts: fluxd cannot run here). It is reached the way fluxctl
// reaches fluxd: a REAL port-forward through the API server (pods/portforward) to the flux pod,
// whose "kubelet" is a kwok of our own whose port-forward simulation targets the test server.
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type FluxdOptions, type FluxdServer, type ForwardingNode, startFluxd, startForwardingNode} from '../setup/fluxd-server.js'
import {runCli} from '../helpers/cli.js'
import {clusterClients, kubeconfig, randomSuffix} from '../helpers/cluster.js'
import {waitFor} from '../helpers/wait.js'

const suffix = randomSuffix()
const namespace = `flux-v1-${suffix}`
const unreadyNamespace = `flux-v1-bad-${suffix}`
const headRevision = 'f3c1a8e9b2d4c6e8a0b1c2d3e4f5a6b7c8d9e0f1'
const gitUrl = 'git@github.com:elifesciences/elife-flux-cluster'

let keyDir: string
let fluxd: FluxdServer
let fluxdOptions: FluxdOptions
let node: ForwardingNode
const {core, apps} = clusterClients()

const env = () => ({KUBECONFIG: kubeconfig, FLUX_FORWARD_NAMESPACE: ''})

async function fluxDeployment(ns: string, ready = true): Promise<void> {
  await core.createNamespace({body: {metadata: {name: ns}}})
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: {name: 'flux', labels: {app: 'flux', release: 'flux'}},
      spec: {
        selector: {matchLabels: {app: 'flux', release: 'flux'}},
        template: {
          metadata: {labels: {app: 'flux', release: 'flux'}},
          spec: {
            // Not ready: a node that does not exist, so the pod stays Pending.
            nodeSelector: {'kubernetes.io/hostname': ready ? node.name : `no-such-node-${suffix}`},
            tolerations: [{key: node.taint.key, operator: 'Exists'}],
            // fluxd's own flags, as the fluxcd/flux chart sets them
            containers: [
              {
                name: 'flux',
                image: 'docker.io/fluxcd/flux:1.21.1',
                args: ['--log-format=fmt', `--git-url=${gitUrl}`, '--git-branch', 'master', '--git-path=releases'],
                ports: [{name: 'http', containerPort: 3030}],
              },
            ],
          },
        },
      },
    },
  })
  if (!ready) {
    await waitFor(`a flux pod in ${ns}`, async () => (await core.listNamespacedPod({namespace: ns, labelSelector: 'app=flux'})).items.length > 0)
    return
  }
  await waitFor(`the flux pod in ${ns} Ready`, async () => {
    const pods = await core.listNamespacedPod({namespace: ns, labelSelector: 'app=flux'})
    return pods.items.some((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
  })
}

beforeAll(async () => {
  keyDir = mkdtempSync(path.join(tmpdir(), 'elife-k8s-flux-key-'))
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'flux-git-deploy-test', '-f', path.join(keyDir, 'identity')])
  fluxd = await startFluxd(
    (fluxdOptions = {
      privateKeyPath: path.join(keyDir, 'identity'),
      gitUrl,
      headRevision,
      pendingPolls: 2,
      workloads: [
        {
          id: 'prod:deployment/journal',
          containers: [
            {name: 'journal', image: 'elifesciences/journal:20a5e4c'},
            {name: 'nginx', image: 'nginx:1.25'},
          ],
          automated: true,
        },
        {id: 'stg:deployment/journal', containers: [{name: 'journal', image: 'elifesciences/journal:9bd2f01'}], locked: true},
        {id: 'adm:helmrelease/prometheus-operator', containers: []},
      ],
    }),
  )
  node = await startForwardingNode({kubeconfig, target: {host: '127.0.0.1', port: fluxd.port}})
  await fluxDeployment(namespace)
})

afterAll(async () => {
  for (const ns of [namespace, unreadyNamespace]) await core?.deleteNamespace({name: ns}).catch(() => undefined)
  await node?.stop()
  await fluxd?.stop()
  if (keyDir) rmSync(keyDir, {recursive: true, force: true})
})

describe('flux (v1, fluxd over a real port-forward)', () => {
  it('identity prints the public key ssh-keygen derives from the private key', async () => {
    const derived = execFileSync('ssh-keygen', ['-y', '-f', path.join(keyDir, 'identity')], {encoding: 'utf8'}).trim()
    const result = await runCli(['flux', 'identity', '--k8s-fwd-ns', namespace], {env: env()})
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout.trim()).toBe(derived)
    expect(result.stderr).toMatch(/add it to the Git repository as a deploy key with write access/)
    // FLUX_FORWARD_NAMESPACE is read as fluxctl reads it.
    const viaEnv = await runCli(['flux', 'identity', '--json'], {env: {...env(), FLUX_FORWARD_NAMESPACE: namespace}})
    expect(viaEnv.exitCode, viaEnv.stderr).toBe(0)
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({generation: 'v1', keys: [{key: derived}]})
    expect(fluxd.requests).toContain('POST /api/flux/v9/git-repo-config')
  })

  it("workloads lists fluxd's workloads like fluxctl list-workloads", async () => {
    const all = await runCli(['flux', 'workloads', '-A', '--k8s-fwd-ns', namespace, '--json'], {env: env()})
    expect(all.exitCode, all.stderr).toBe(0)
    expect(JSON.parse(all.stdout).workloads).toEqual([
      {workload: 'adm:helmrelease/prometheus-operator', container: '', image: '', release: 'ready', policy: ''},
      {workload: 'prod:deployment/journal', container: 'journal', image: 'elifesciences/journal:20a5e4c', release: 'ready', policy: 'automated'},
      {workload: '', container: 'nginx', image: 'nginx:1.25', release: '', policy: ''},
      {workload: 'stg:deployment/journal', container: 'journal', image: 'elifesciences/journal:9bd2f01', release: 'ready', policy: 'locked'},
    ])
    expect(fluxd.requests).toContain('GET /api/flux/v11/services?namespace=&services=')
    const one = await runCli(['flux', 'workloads', '-n', 'stg', '--k8s-fwd-ns', namespace], {env: env()})
    expect(one.exitCode, one.stderr).toBe(0)
    expect(one.stdout).toMatch(/WORKLOAD\s+CONTAINER\s+IMAGE\s+RELEASE\s+POLICY/)
    expect(one.stdout).toMatch(/stg:deployment\/journal\s+journal\s+elifesciences\/journal:9bd2f01\s+ready\s+locked/)
    expect(one.stdout).not.toContain('prod:')
    // stdout is the table only; the count is on stderr
    expect(one.stdout.trimEnd().split('\n')).toHaveLength(2)
    expect(one.stderr).toBe(`1 workload managed by fluxd in ${namespace} in namespace stg\n`)
  })

  it('sync runs a sync job and waits until fluxd has applied the revision', async () => {
    // Issue 14 item 20: --dry-run asks fluxd nothing (it used to read git-repo-config from it).
    const asked = fluxd.requests.length
    const dry = await runCli(['flux', 'sync', '--k8s-fwd-ns', namespace, '--dry-run'], {env: env()})
    expect(dry.exitCode, dry.stderr).toBe(0)
    expect(fluxd.requests.slice(asked)).toEqual([])
    expect(dry.stdout).toBe('')
    expect(dry.stderr).toMatch(
      new RegExp(
        `^plan \\(dry run\\):\n  - ask fluxd \\(pod flux-[a-z0-9-]+ in ${namespace}\\) to sync master of ${gitUrl} \\(its --git-url and --git-branch\\)\ndry run: nothing was changed\n$`,
      ),
    )
    const unconfirmed = await runCli(['flux', 'sync', '--k8s-fwd-ns', namespace], {env: env()})
    expect(unconfirmed.exitCode).toBe(8)
    expect(fluxd.requests.filter((r) => r.includes('update-manifests'))).toEqual([])

    const start = fluxd.requests.length
    const result = await runCli(['flux', 'sync', '--k8s-fwd-ns', namespace, '--yes'], {env: env()})
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim().split('\n').at(-1)).toBe(`fluxd in ${namespace} has applied master at ${headRevision.slice(0, 12)} from ${gitUrl}`)
    const seen = fluxd.requests.slice(start).map((r) => r.replace(/id=[\w-]+/, 'id=ID'))
    expect(seen).toEqual([
      'POST /api/flux/v9/git-repo-config',
      'POST /api/flux/v9/update-manifests',
      'GET /api/flux/v6/jobs?id=ID',
      'GET /api/flux/v6/jobs?id=ID',
      `GET /api/flux/v6/sync?ref=${headRevision.slice(0, 12)}`,
      `GET /api/flux/v6/sync?ref=${headRevision.slice(0, 12)}`,
      `GET /api/flux/v6/sync?ref=${headRevision.slice(0, 12)}`,
    ])
  })

  it('a sync fluxd cannot do is a failed check: exit 6 with one line, and under --json the result saying why', async () => {
    fluxdOptions.repoStatus = 'unreachable'
    try {
      const plain = await runCli(['flux', 'sync', '--k8s-fwd-ns', namespace, '--yes'], {env: env()})
      expect(plain.exitCode, plain.stderr).toBe(6)
      expect(plain.stdout).toBe('')
      expect(plain.stderr.split('\n').filter((l) => l.startsWith('error:'))).toEqual([
        expect.stringContaining(`cannot sync: git repository ${gitUrl} is unreachable`),
      ])
      const json = await runCli(['flux', 'sync', '--k8s-fwd-ns', namespace, '--yes', '--json'], {env: env()})
      expect(json.exitCode, json.stderr).toBe(6)
      const parsed = JSON.parse(json.stdout) as {generation: string; dryRun: boolean; failed: string; error?: unknown}
      expect(parsed).toMatchObject({generation: 'v1', dryRun: false})
      expect(parsed.error).toBeUndefined()
      expect(parsed.failed).toContain(`git repository ${gitUrl} is unreachable`)
    } finally {
      fluxdOptions.repoStatus = 'ready'
    }
  })

  it('no flux pod, or none Ready: one line, exit 3', async () => {
    const missing = await runCli(['flux', 'sync', '--k8s-fwd-ns', `nowhere-${suffix}`, '--generation', 'v1', '--yes'], {env: env()})
    expect(missing.exitCode).toBe(3)
    expect(missing.stderr.trim()).toBe(
      `error: no flux pod (label app=flux) in namespace nowhere-${suffix}; pass --k8s-fwd-ns (or FLUX_FORWARD_NAMESPACE) naming the namespace flux runs in, or --generation v2 for Flux v2`,
    )
    await fluxDeployment(unreadyNamespace, false)
    const unready = await runCli(['flux', 'identity', '--k8s-fwd-ns', unreadyNamespace], {env: env()})
    expect(unready.exitCode).toBe(3)
    expect(unready.stderr).toMatch(/^error: no Running and Ready flux pod \(label app=flux\) in namespace flux-v1-bad-\w+ \(flux-\w+-\w+ Pending\)/)
  })
})
