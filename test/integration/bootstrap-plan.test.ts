// `elife-k8s bootstrap` against the local cluster, with the real helm installing test charts named
// flux and helm-operator from a local chart repository (index.yaml + `helm package` archives over
// HTTP, as a mirror of the archived charts.fluxcd.io would serve them). Each test bootstraps into
// its own namespace; the CRD step applies a CRD of a test-only group (--crds), since
// helmreleases.helm.fluxcd.io is shared by other tests. kube-proxy lives in the shared kube-system,
// so runs that change things skip it; its state is only read (dry run).
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {AppsV1Api, KubeConfig, PatchStrategy, setHeaderOptions} from '@kubernetes/client-node'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {repoRoot, runCli, runTool, spawnCli} from '../helpers/cli.js'
import {helmBin as helm, kubeconfig, kubectlBin as kubectl, clusterClients, randomSuffix} from '../helpers/cluster.js'
import {startFluxd, startForwardingNode} from '../setup/fluxd-server.js'

const suffix = randomSuffix()
const group = `bootstrap-${suffix}.test.elifesciences.org`
const crdName = `helmreleases.${group}`
const gitUrl = 'git@github.com:elifesciences/elife-flux-cluster'

let repoDir: string
let server: Server
let chartRepo: string
let crdsFile: string
const namespaces: string[] = []

const env = {KUBECONFIG: kubeconfig, ELIFE_K8S_HELM: helm, HELM_CACHE_HOME: '', HELM_CONFIG_HOME: '', HELM_DATA_HOME: ''}

function bootstrap(args: string[]) {
  return runCli(['bootstrap', '--chart-repo', chartRepo, '--crds', crdsFile, '--git-url', gitUrl, '--timeout', '120', ...args], {env, timeoutMs: 300_000})
}

async function kubectlJson(args: string[]): Promise<unknown> {
  const result = await runTool(kubectl, ['--kubeconfig', kubeconfig, ...args, '-o', 'json'])
  expect(result.exitCode, result.stderr).toBe(0)
  return JSON.parse(result.stdout)
}

/** Everything bootstrap may touch in the namespace, with the fields that change on a write. */
async function clusterState(namespace: string): Promise<string> {
  const objects = await runTool(kubectl, [
    '--kubeconfig',
    kubeconfig,
    'get',
    'deploy,secret,configmap,serviceaccount,service',
    '-n',
    namespace,
    '--ignore-not-found',
    '-o',
    'jsonpath={range .items[*]}{.kind}/{.metadata.name}@{.metadata.resourceVersion}{"\\n"}{end}',
  ])
  const crd = await runTool(kubectl, ['--kubeconfig', kubeconfig, 'get', 'crd', crdName, '--ignore-not-found', '-o', 'jsonpath={.metadata.resourceVersion}'])
  const ns = await runTool(kubectl, [
    '--kubeconfig',
    kubeconfig,
    'get',
    'namespace',
    namespace,
    '--ignore-not-found',
    '-o',
    'jsonpath={.metadata.resourceVersion}',
  ])
  return `${objects.stdout}\ncrd@${crd.stdout}\nns@${ns.stdout}`
}

const core = () => clusterClients().core

function newNamespace(): string {
  const name = `bootstrap-${suffix}-${namespaces.length}`
  namespaces.push(name)
  return name
}

beforeAll(async () => {
  repoDir = mkdtempSync(path.join(tmpdir(), 'elife-k8s-charts-'))
  execFileSync(helm, ['package', path.join(repoRoot, 'test/fixtures/charts/flux'), path.join(repoRoot, 'test/fixtures/charts/helm-operator'), '-d', repoDir])
  server = createServer((req, res) => {
    try {
      const body = readFileSync(path.join(repoDir, path.basename(new URL(req.url ?? '/', 'http://x').pathname)))
      res.writeHead(200)
      res.end(body)
    } catch {
      res.writeHead(404)
      res.end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  chartRepo = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  execFileSync(helm, ['repo', 'index', repoDir, '--url', chartRepo])
  crdsFile = path.join(repoDir, 'crds.yaml')
  const crd = readFileSync(path.join(repoRoot, 'test/fixtures/crds/helm.fluxcd.io_helmreleases.yaml'), 'utf8')
    .replaceAll('helmreleases.helm.fluxcd.io', crdName)
    .replace('group: helm.fluxcd.io', `group: ${group}`)
    .replace('shortNames: [hr, hrs]', 'shortNames: []')
  writeFileSync(crdsFile, crd)
})

afterAll(async () => {
  for (const ns of namespaces) {
    for (const release of ['flux', 'helm-operator']) await runTool(helm, ['--kubeconfig', kubeconfig, 'uninstall', release, '-n', ns, '--ignore-not-found'])
    await runTool(kubectl, ['--kubeconfig', kubeconfig, 'delete', 'namespace', ns, '--ignore-not-found', '--wait=false'])
  }
  await runTool(kubectl, ['--kubeconfig', kubeconfig, 'delete', 'crd', crdName, '--ignore-not-found'])
  server?.close()
  if (repoDir) rmSync(repoDir, {recursive: true, force: true})
})

describe('bootstrap', () => {
  it("--dry-run prints every step's state and changes nothing; PSP is not applicable on 1.25+", async () => {
    const ns = newNamespace()
    const before = await clusterState(ns)
    const result = await bootstrap(['--flux-namespace', ns, '--dry-run', '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const json = JSON.parse(result.stdout) as {dryRun: boolean; steps: Array<{id: string; before: {state: string; reason: string}}>}
    expect(json.dryRun).toBe(true)
    const state = Object.fromEntries(json.steps.map((s) => [s.id, s.before.state]))
    expect(state).toMatchObject({kubeconfig: 'n/a', crds: 'todo', namespace: 'todo', flux: 'todo', 'helm-operator': 'todo', 'deploy-key': 'manual', psp: 'n/a'})
    expect(['done', 'todo']).toContain(state['kube-proxy'])
    const psp = json.steps.find((s) => s.id === 'psp')!
    expect(psp.before.reason).toMatch(/policy\/v1beta1 podsecuritypolicies\) is not served by this cluster \(Kubernetes v1\.3\d[^;]*; it was removed in 1\.25/)
    expect(await clusterState(ns)).toBe(before)
    // Human output: one line per step with its state.
    const human = await bootstrap(['--flux-namespace', ns, '--dry-run', '--skip', 'kube-proxy'])
    expect(human.exitCode, human.stderr).toBe(0)
    expect(human.stderr).toMatch(/\[7\/8\] psp: not applicable/)
    expect(human.stderr).toMatch(/\[3\/8\] namespace: to do - create namespace/)
    // The plan and the dry-run line are narrative (stderr); stdout carries data only.
    expect(human.stderr).toMatch(
      /^plan \(dry run\):\n {2}- crds: apply .*\n {2}- namespace: create namespace .*\n {2}- flux: install release flux .*\n {2}- helm-operator: install release helm-operator .*\ndry run: nothing was changed$/m,
    )
    expect(human.stdout).toBe('')
    expect(await clusterState(ns)).toBe(before)
  })

  it("installs with the runbook's values through helm; a second run changes nothing", async () => {
    const ns = newNamespace()
    const first = await bootstrap(['--flux-namespace', ns, '--skip', 'kube-proxy', '--yes', '--json'])
    expect(first.exitCode, first.stderr).toBe(0)
    expect((JSON.parse(first.stdout) as {changed: string[]}).changed).toEqual(['crds', 'namespace', 'flux', 'helm-operator'])

    // What helm itself says about the releases: the runbook's values, deployed.
    const fluxValues = JSON.parse((await runTool(helm, ['--kubeconfig', kubeconfig, 'get', 'values', 'flux', '-n', ns, '-o', 'json'])).stdout)
    expect(fluxValues).toEqual({git: {url: gitUrl}, syncGarbageCollection: {enabled: true}, prometheus: {serviceMonitor: {create: true, namespace: 'adm'}}})
    const operatorValues = JSON.parse((await runTool(helm, ['--kubeconfig', kubeconfig, 'get', 'values', 'helm-operator', '-n', ns, '-o', 'json'])).stdout)
    expect(operatorValues).toEqual({
      git: {ssh: {secretName: 'flux-git-deploy'}},
      helm: {versions: 'v3'},
      statusUpdateInterval: '90s',
      resources: {limits: {memory: '1Gi'}, requests: {memory: '500Mi', cpu: '400m'}},
      prometheus: {serviceMonitor: {create: true, namespace: 'adm'}},
    })
    const list = JSON.parse((await runTool(helm, ['--kubeconfig', kubeconfig, 'list', '-n', ns, '-o', 'json'])).stdout) as Array<{
      name: string
      status: string
      chart: string
    }>
    expect(list.map((r) => `${r.name} ${r.status} ${r.chart}`).sort()).toEqual(['flux deployed flux-1.13.3', 'helm-operator deployed helm-operator-1.4.4'])
    const crd = (await kubectlJson(['get', 'crd', crdName])) as {
      spec: {versions: Array<{name: string; schema: {openAPIV3Schema: Record<string, unknown>}}>}
      status: {conditions: Array<{type: string; status: string}>}
    }
    expect(crd.status.conditions).toContainEqual(expect.objectContaining({type: 'Established', status: 'True'}))
    expect(crd.spec.versions[0].schema.openAPIV3Schema).toEqual({type: 'object', 'x-kubernetes-preserve-unknown-fields': true})
    const operator = (await kubectlJson(['get', 'deploy', 'helm-operator', '-n', ns])) as {spec: {template: {spec: {containers: Array<{resources: unknown}>}}}}
    expect(operator.spec.template.spec.containers[0].resources).toEqual({limits: {memory: '1Gi'}, requests: {cpu: '400m', memory: '500Mi'}})

    const before = await clusterState(ns)
    const second = await bootstrap(['--flux-namespace', ns, '--skip', 'kube-proxy', '--json'])
    expect(second.exitCode, second.stderr).toBe(0)
    const json = JSON.parse(second.stdout) as {changed: string[]; steps: Array<{id: string; before: {state: string}}>}
    expect(json.changed).toEqual([])
    expect(json.steps.filter((s) => s.before.state === 'todo')).toEqual([])
    expect(await clusterState(ns)).toBe(before)
    const revisions = JSON.parse((await runTool(helm, ['--kubeconfig', kubeconfig, 'history', 'flux', '-n', ns, '-o', 'json'])).stdout) as unknown[]
    expect(revisions).toHaveLength(1)
  })

  it('a run stopped after each step resumes: the rest is done by the next run, nothing twice', async () => {
    const order = ['crds', 'namespace', 'flux', 'helm-operator']
    for (let stop = 1; stop <= order.length; stop++) {
      const ns = newNamespace()
      // Stands for an interruption after step N: only the first N steps ran.
      const partial = await bootstrap(['--flux-namespace', ns, '--only', order.slice(0, stop).join(','), '--yes', '--json'])
      expect(partial.exitCode, partial.stderr).toBe(0)
      const resumed = await bootstrap(['--flux-namespace', ns, '--skip', 'kube-proxy', '--yes', '--json'])
      expect(resumed.exitCode, resumed.stderr).toBe(0)
      const changed = (JSON.parse(resumed.stdout) as {changed: string[]}).changed
      // The CRD is cluster-wide: once the first run applied it, later namespaces find it done.
      expect(changed).toEqual(order.slice(stop).filter((s) => s !== 'crds'))
      const list = JSON.parse((await runTool(helm, ['--kubeconfig', kubeconfig, 'list', '-n', ns, '-o', 'json'])).stdout) as Array<{
        name: string
        revision: string
      }>
      expect(list.map((r) => `${r.name}@${r.revision}`).sort()).toEqual(['flux@1', 'helm-operator@1'])
    }
  })

  it('Ctrl-C while helm installs the flux chart (SIGINT to the whole process group): the next run resumes and finishes', async () => {
    const ns = newNamespace()
    const child = spawnCli(
      ['bootstrap', '--chart-repo', chartRepo, '--crds', crdsFile, '--git-url', gitUrl, '--flux-namespace', ns, '--skip', 'kube-proxy', '--yes'],
      {env, detached: true},
    )
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))))
    for (let i = 0; !stderr.includes('[4/8] flux: install release'); i++) {
      if (i > 600) throw new Error(`bootstrap never reached the flux step: ${stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    // Until helm has written the release record (pending-install): interrupted mid-install.
    for (let i = 0; ; i++) {
      const records = await core().listNamespacedSecret({namespace: ns, labelSelector: 'owner=helm,name=flux'})
      if (records.items.length > 0) break
      if (i > 600) throw new Error(`helm never wrote the flux release record: ${stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    process.kill(-child.pid!, 'SIGINT')
    expect(await exited).not.toBe(0)
    expect(stderr).not.toContain('✔ [4/8]')
    // helm, interrupted too, marked its install failed; the next `helm upgrade -i` replaces it.
    const interrupted = JSON.parse((await runTool(helm, ['--kubeconfig', kubeconfig, 'list', '-a', '-n', ns, '-o', 'json'])).stdout) as Array<{
      name: string
      status: string
    }>
    expect(interrupted.map((r) => `${r.name} ${r.status}`)).toEqual(['flux failed'])
    const resumed = await bootstrap(['--flux-namespace', ns, '--skip', 'kube-proxy', '--yes', '--json'])
    expect(resumed.exitCode, resumed.stderr + resumed.stdout).toBe(0)
    const json = JSON.parse(resumed.stdout) as {changed: string[]}
    expect(json.changed).toEqual(['flux', 'helm-operator'])
    const list = JSON.parse((await runTool(helm, ['--kubeconfig', kubeconfig, 'list', '-n', ns, '-o', 'json'])).stdout) as Array<{name: string; status: string}>
    expect(list.map((r) => `${r.name} ${r.status}`).sort()).toEqual(['flux deployed', 'helm-operator deployed'])
  })

  it("deploy-key prints flux's public key as fluxctl identity does (fluxd test server through a real port-forward), changing nothing", async () => {
    const ns = newNamespace()
    expect((await bootstrap(['--flux-namespace', ns, '--skip', 'kube-proxy', '--yes'])).exitCode).toBe(0)
    const keyDir = mkdtempSync(path.join(tmpdir(), 'elife-k8s-bootstrap-key-'))
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'flux-git-deploy', '-f', path.join(keyDir, 'identity')])
    const fluxd = await startFluxd({privateKeyPath: path.join(keyDir, 'identity'), gitUrl, headRevision: '0'.repeat(40), workloads: []})
    const node = await startForwardingNode({kubeconfig, target: {host: '127.0.0.1', port: fluxd.port}})
    try {
      // Move the chart's flux pod onto the node whose "kubelet" forwards to the fluxd test server
      // (a change to the Deployment, not to the helm values, so the chart steps stay done).
      const kc = new KubeConfig()
      kc.loadFromFile(kubeconfig)
      await kc.makeApiClient(AppsV1Api).patchNamespacedDeployment(
        {
          name: 'flux',
          namespace: ns,
          body: {spec: {template: {spec: {nodeSelector: {'kubernetes.io/hostname': node.name}, tolerations: [{key: node.taint.key, operator: 'Exists'}]}}}},
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      )
      for (let i = 0; ; i++) {
        const pods = await core().listNamespacedPod({namespace: ns, labelSelector: 'app=flux'})
        if (
          pods.items.length === 1 &&
          pods.items[0].spec?.nodeName === node.name &&
          pods.items[0].status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
        )
          break
        if (i > 600) throw new Error('flux pod did not move to the forwarding node')
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      const before = await clusterState(ns)
      const result = await bootstrap(['--flux-namespace', ns, '--skip', 'kube-proxy'])
      expect(result.exitCode, result.stderr).toBe(0)
      const derived = execFileSync('ssh-keygen', ['-y', '-f', path.join(keyDir, 'identity')], {encoding: 'utf8'}).trim()
      expect(result.stdout.split('\n')[0]).toBe(derived)
      expect(result.stdout).toBe(`${derived}\n`)
      expect(result.stderr).toMatch(
        /the cluster is bootstrapped: every selected step is done or not applicable; the deploy key printed on stdout must be on the Git repository with write access/,
      )
      expect(result.stderr).toMatch(/\[6\/8\] deploy-key: manual - flux's public key is below; add it to the Git repository as a deploy key WITH write access/)
      expect(fluxd.requests).toContain('POST /api/flux/v9/git-repo-config')
      expect(await clusterState(ns)).toBe(before)
    } finally {
      await node.stop()
      await fluxd.stop()
      rmSync(keyDir, {recursive: true, force: true})
    }
  })

  it("a helm release changed by hand is put back to the runbook's values", async () => {
    const ns = newNamespace()
    expect((await bootstrap(['--flux-namespace', ns, '--skip', 'kube-proxy', '--yes'])).exitCode).toBe(0)
    await runTool(helm, [
      '--kubeconfig',
      kubeconfig,
      'upgrade',
      'helm-operator',
      path.join(repoRoot, 'test/fixtures/charts/helm-operator'),
      '-n',
      ns,
      '--reuse-values',
      '--set',
      'statusUpdateInterval=5m',
    ])
    const dry = await bootstrap(['--flux-namespace', ns, '--skip', 'kube-proxy', '--dry-run'])
    expect(dry.stderr).toMatch(/helm-operator: to do - upgrade release helm-operator .*1 value\(s\) differ/)
    expect(dry.stderr).toContain('statusUpdateInterval: "5m" → "90s"')
    const fix = await bootstrap(['--flux-namespace', ns, '--skip', 'kube-proxy', '--yes', '--json'])
    expect((JSON.parse(fix.stdout) as {changed: string[]}).changed).toEqual(['helm-operator'])
  })

  // Issue 14 item 11: --git-url went through helm's --set parser, where ",x=y" set another value.
  it('a --git-url that would set other chart values is refused before anything changes; values reach helm whole', async () => {
    const ns = newNamespace()
    const before = await clusterState(ns)
    const injected = `${gitUrl},image.repository=registry.invalid/evil`
    const result = await runCli(
      ['bootstrap', '--chart-repo', chartRepo, '--crds', crdsFile, '--git-url', injected, '--flux-namespace', ns, '--only', 'namespace,flux', '--yes'],
      {env, timeoutMs: 300_000},
    )
    expect(result.exitCode, result.stderr).toBe(2)
    const errors = result.stderr.split('\n').filter((l) => l.startsWith('error:'))
    expect(errors).toEqual([
      expect.stringMatching(/^error: --git-url is not a Git repository URL flux can clone \(the path after "host:" has characters other than/),
    ])
    expect(result.stderr).not.toContain('registry.invalid')
    expect(await clusterState(ns)).toBe(before)
    const releases = await runTool(helm, ['--kubeconfig', kubeconfig, 'list', '-a', '-n', ns, '-o', 'json'])
    expect(JSON.parse(releases.stdout || '[]')).toEqual([])
  })

  // Issue 14 item 20: bootstrap planned `helm install flux` over the fluxd that runs outside helm 3.
  it('stops (exit 7) where flux already runs outside a helm 3 release, naming it and what to do', async () => {
    // The seeded namespace flux runs Flux v1 and the Helm Operator from helm 2 releases.
    const before = await clusterState('flux')
    for (const extra of [['--dry-run'], ['--yes']]) {
      const result = await bootstrap(['--flux-namespace', 'flux', '--only', 'flux', ...extra])
      expect(result.exitCode, result.stderr).toBe(7)
      const errors = result.stderr.split('\n').filter((l) => l.startsWith('error:'))
      expect(errors).toHaveLength(1)
      expect(errors[0]).toContain(
        'error: flux already runs in namespace flux outside a helm 3 release: deployment "flux" (docker.io/fluxcd/flux:1.21.1, labelled heritage=Helm: a helm 2 release); bootstrap does not install a second one over it',
      )
      expect(errors[0]).toContain(
        "run bootstrap again with --skip flux; to have helm 3 manage it, convert its helm 2 release (`helm 2to3 convert flux`) or delete it (`kubectl -n flux delete deployment flux` and the release's other objects) first",
      )
      expect(result.stdout).toBe('')
    }
    const operator = await bootstrap(['--flux-namespace', 'flux', '--only', 'helm-operator', '--dry-run'])
    expect(operator.exitCode, operator.stderr).toBe(7)
    expect(operator.stderr).toContain('helm-operator already runs in namespace flux outside a helm 3 release: deployment "helm-operator"')
    expect(await clusterState('flux')).toBe(before)
    const releases = await runTool(helm, ['--kubeconfig', kubeconfig, 'list', '-a', '-n', 'flux', '-o', 'json'])
    expect(JSON.parse(releases.stdout || '[]')).toEqual([])
  })

  it('bad input: unknown step, no --git-url, no terminal to confirm on', async () => {
    const unknown = await bootstrap(['--only', 'flux,nope', '--dry-run'])
    expect(unknown.exitCode).toBe(2)
    expect(unknown.stderr).toMatch(/^error: unknown bootstrap step "nope"; steps are: kubeconfig, crds/m)
    const noGit = await runCli(['bootstrap', '--chart-repo', chartRepo, '--only', 'flux', '--dry-run', '--flux-namespace', 'flux'], {env})
    expect(noGit.exitCode).toBe(2)
    expect(noGit.stderr).toMatch(/the flux step needs --git-url/)
    const ns = newNamespace()
    const before = await clusterState(ns)
    const noTty = await bootstrap(['--flux-namespace', ns, '--only', 'namespace'])
    expect(noTty.exitCode).toBe(8)
    expect(await clusterState(ns)).toBe(before)
  })
})
