/**
 * Test stand-ins for the one thing the local cluster cannot run: fluxd itself.
 *
 * 1. `startFluxd()` is an HTTP server speaking the part of fluxd's API that fluxctl (and
 *    `elife-k8s flux`) use, at the same paths and with the same JSON shapes as fluxd 1.x
 *    (fluxcd/flux pkg/http/transport.go NewAPIRouter, pkg/http/daemon/server.go, pkg/api/v6):
 *    - POST /api/flux/v9/git-repo-config   body `false`  → v6.GitConfig {remote, publicSSHKey, status, errors}
 *    - GET  /api/flux/v6/identity.pub                   → ssh.PublicKey {key, fingerprints}
 *    - GET  /api/flux/v11/services?namespace=…           → []v6.ControllerStatus
 *    - POST /api/flux/v9/update-manifests  {type: sync}  → job.ID (a JSON string)
 *    - GET  /api/flux/v6/jobs?id=…                       → job.Status {Result: {revision}, Err, StatusString}
 *    - GET  /api/flux/v6/sync?ref=…                      → []string (commits not yet applied)
 *    - anything else: 404 with fluxd's JSON error body.
 *    Its public key is derived from a real private key with `ssh-keygen -y`, as fluxd does.
 *
 *    fluxd's log, which its API does not replace (the time of the last sync), is what fluxd prints
 *    (fluxLogLine: go-kit logfmt lines of its sync loop, fluxcd/flux pkg/daemon/loop.go and
 *    sync.go), in the CRI format the kubelet keeps, served by the forwarding node's kwok
 *    (ClusterLogs) through the real pods/log path, tail and timestamps applied by the kubelet's
 *    own log reader.
 *
 * 2. `startForwardingNode()` runs a second kwok process that plays the kubelet of ONE extra node
 *    whose port-forward simulation (kwok's ClusterPortForward) targets the fluxd test server. A pod
 *    bound to that node is then reached through the REAL path fluxctl uses: client → API server
 *    (pods/portforward) → "kubelet" (kwok) → TCP to the target. The shared cluster's own kwok
 *    forwards every port to its /healthz server, and the harness is not ours to change, so the
 *    extra node gets its own kwok, started with the cluster's kubelet-serving certificate (the API
 *    server verifies kubelets against the cluster CA).
 */
import {setTimeout as sleep} from 'node:timers/promises'
import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {createServer as createNetServer, type AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {CoreV1Api, KubeConfig} from '@kubernetes/client-node'

import {repoRoot} from '../helpers/cli.js'

export interface FluxdWorkload {
  /** fluxd's resource ID, e.g. "prod:deployment/journal". */
  id: string
  containers: Array<{name: string; image: string}>
  status?: string
  automated?: boolean
  locked?: boolean
  ignore?: boolean
}

export interface FluxdOptions {
  /** Path of the OpenSSH private key standing for the flux-git-deploy identity. */
  privateKeyPath: string
  gitUrl: string
  branch?: string
  workloads: FluxdWorkload[]
  /** Revision HEAD resolves to when a sync job runs. */
  headRevision: string
  /** How many times /v6/sync?ref= reports the revision as still pending before it is applied. */
  pendingPolls?: number
  /** GitConfig status ("ready", "unreachable", ...). */
  repoStatus?: string
}

export interface FluxdServer {
  port: number
  publicKey: string
  /** Every request seen: "METHOD /path?query". */
  requests: string[]
  stop(): Promise<void>
}

export async function startFluxd(options: FluxdOptions): Promise<FluxdServer> {
  // What fluxd does with its identity: the public half, in authorized_keys form.
  const publicKey = execFileSync('ssh-keygen', ['-y', '-f', options.privateKeyPath], {encoding: 'utf8'}).trim()
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', options.privateKeyPath], {encoding: 'utf8'}).trim()
  const requests: string[] = []
  const jobs = new Map<string, number>()
  let pendingPolls = options.pendingPolls ?? 1

  const gitConfig = () => ({
    remote: {url: options.gitUrl, branch: options.branch ?? 'master', path: ''},
    publicSSHKey: {key: `${publicKey}\n`, fingerprints: {sha256: {hash: fingerprint.split(' ')[1], randomart: ''}}},
    status: options.repoStatus ?? 'ready',
    errors: '',
  })
  const json = (res: ServerResponse, value: unknown, code = 200) => {
    res.writeHead(code, {'Content-Type': 'application/json; charset=utf-8'})
    res.end(JSON.stringify(value))
  }
  const body = async (req: IncomingMessage) => {
    let text = ''
    for await (const chunk of req) text += chunk
    return text
  }

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fluxd')
    requests.push(`${req.method} ${url.pathname}${url.search}`)
    const route = `${req.method} ${url.pathname.replace(/^\/api\/flux/, '')}`
    switch (route) {
      case 'POST /v9/git-repo-config': {
        const regenerate = JSON.parse((await body(req)) || 'false') as boolean
        if (regenerate) return json(res, {type: 'user', help: 'regenerating is not supported by the test server', err: 'unsupported'}, 422)
        return json(res, gitConfig())
      }
      case 'GET /v6/identity.pub':
        return json(res, gitConfig().publicSSHKey)
      case 'GET /v11/services':
      case 'GET /v6/services': {
        const namespace = url.searchParams.get('namespace') ?? ''
        const selected = options.workloads.filter((w) => !namespace || w.id.startsWith(`${namespace}:`))
        return json(
          res,
          selected.map((w) => ({
            ID: w.id,
            Containers: w.containers.map((c) => ({Name: c.name, Current: {ID: c.image}})),
            ReadOnly: '',
            Status: w.status ?? 'ready',
            Rollout: {Desired: 1, Updated: 1, Ready: 1, Available: 1, Outdated: 0},
            SyncError: '',
            Antecedent: '',
            Labels: {},
            Automated: Boolean(w.automated),
            Locked: Boolean(w.locked),
            Ignore: Boolean(w.ignore),
            Policies: w.automated ? {automated: 'true'} : {},
          })),
        )
      }
      case 'POST /v9/update-manifests': {
        const spec = JSON.parse(await body(req)) as {type?: string}
        if (spec.type !== 'sync') return json(res, {type: 'user', help: `unsupported update type ${spec.type}`, err: 'unsupported'}, 422)
        const id = randomUUID()
        jobs.set(id, 0)
        return json(res, id)
      }
      case 'GET /v6/jobs': {
        const id = url.searchParams.get('id') ?? ''
        const polls = jobs.get(id)
        if (polls === undefined) return json(res, {type: 'missing', help: `job ${id} not found`, err: 'not found'}, 404)
        jobs.set(id, polls + 1)
        // Queued on the first poll, then succeeded: a job is asynchronous in fluxd.
        if (polls === 0) return json(res, {Result: {}, Err: '', StatusString: 'queued'})
        return json(res, {Result: {revision: options.headRevision}, Err: '', StatusString: 'succeeded'})
      }
      case 'GET /v6/sync': {
        const ref = url.searchParams.get('ref') ?? ''
        // fluxd resolves any git ref in its mirror (`git rev-list <sync tag>..<ref>`): the branch too.
        if (ref !== (options.branch ?? 'master') && !options.headRevision.startsWith(ref))
          return json(res, {type: 'missing', help: `unknown revision ${ref}`, err: 'unknown'}, 404)
        if (pendingPolls > 0) {
          pendingPolls--
          return json(res, [options.headRevision])
        }
        return json(res, [])
      }
      default:
        return json(res, {type: 'missing', help: `API endpoint ${url.pathname} not found`, err: 'not found'}, 404)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    publicKey,
    requests,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export interface ForwardingNode {
  name: string
  /** Taint key/value a pod must tolerate (and nodeName to pin it). */
  taint: {key: string; value: string}
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * One extra fake node, played by its own kwok whose port-forward goes to `target`. Needs the
 * cluster's state directory (the kubeconfig's directory: pki/ and cluster.json).
 */
export async function startForwardingNode(options: {
  kubeconfig: string
  target: {host: string; port: number}
  /** A CRI-format log file (see fluxdLogLines) served as the `flux` container's log of the pods on this node. */
  fluxLogFile?: string
}): Promise<ForwardingNode> {
  const stateDir = path.dirname(options.kubeconfig)
  const cluster = JSON.parse(readFileSync(path.join(stateDir, 'cluster.json'), 'utf8')) as {binaries: {kwok: string}}
  const id = randomUUID().slice(0, 8)
  const name = `fluxd-fwd-${id}`
  const taint = {key: 'elife-k8s.test/fluxd', value: id}
  const port = await freePort()
  const dir = mkdtempSync(path.join(tmpdir(), 'elife-k8s-kwok-'))
  const stages = readFileSync(path.join(repoRoot, 'scripts/cluster/kwok/stages.yaml'), 'utf8')
  writeFileSync(
    path.join(dir, 'kwok.yaml'),
    `${stages.trim()}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterPortForward
metadata:
  name: to-fluxd-test-server
spec:
  forwards:
  - target:
      address: ${options.target.host}
      port: ${options.target.port}
${
  options.fluxLogFile
    ? `---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: fluxd-log
spec:
  logs:
  - containers: [flux]
    logsFile: ${JSON.stringify(options.fluxLogFile)}
`
    : ''
}`,
  )

  const kc = new KubeConfig()
  kc.loadFromFile(options.kubeconfig)
  const core = kc.makeApiClient(CoreV1Api)
  await core.createNode({
    body: {
      metadata: {name, annotations: {'kwok.x-k8s.io/node': name}, labels: {'kubernetes.io/hostname': name, 'elife-k8s.test/fluxd-node': id}},
      spec: {taints: [{key: taint.key, value: taint.value, effect: 'NoSchedule'}]},
    },
  })
  const child: ChildProcess = spawn(
    cluster.binaries.kwok,
    [
      `--kubeconfig=${options.kubeconfig}`,
      `--config=${path.join(dir, 'kwok.yaml')}`,
      `--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=${name}`,
      '--node-ip=127.0.0.1',
      `--node-port=${port}`,
      `--server-address=127.0.0.1:${port}`,
      `--tls-cert-file=${path.join(stateDir, 'pki/kwok-serving.crt')}`,
      `--tls-private-key-file=${path.join(stateDir, 'pki/kwok-serving.key')}`,
      '--cidr=10.0.250.0/24',
      '--node-lease-duration-seconds=40',
      '--v=WARN',
    ],
    {stdio: ['ignore', 'ignore', 'pipe'], detached: false},
  )
  let stderr = ''
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000)
  })
  const stop = async () => {
    child.kill('SIGTERM')
    await core.deleteNode({name}).catch(() => undefined)
    rmSync(dir, {recursive: true, force: true})
  }
  for (let i = 0; ; i++) {
    const node = await core.readNode({name})
    if (node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) break
    if (child.exitCode !== null || i > 120) {
      await stop()
      throw new Error(`node ${name} did not become Ready under its own kwok: ${stderr}`)
    }
    await sleep(250)
  }
  return {name, taint, stop}
}

/** go-logfmt's value: quoted (Go's escapes) when it holds a space, a control character, `=` or `"`; empty as nothing. */
function logfmtValue(value: string): string {
  return value === 'null' || [...value].some((c) => c <= ' ' || c === '=' || c === '"') ? JSON.stringify(value) : value
}

/** Go's time.RFC3339Nano in UTC, as go-kit's DefaultTimestampUTC writes it: trailing zeros of the fraction dropped. */
function rfc3339Nano(at: Date): string {
  return at.toISOString().replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits ? `.${digits}Z` : 'Z'))
}

/**
 * One line as fluxd writes it (ts=<RFC 3339 nano UTC> caller=<file:line> then the fields), at `at`,
 * wrapped in the CRI log format the kubelet stores (`<time> stderr F <line>`: fluxd logs to stderr).
 */
export function fluxdLogLine(at: Date, caller: string, fields: Array<[string, string]>): string {
  const ts = rfc3339Nano(at)
  const line = [['ts', ts], ['caller', caller], ...fields].map(([k, v]) => `${k}=${logfmtValue(v)}`).join(' ')
  return `${ts} stderr F ${line}`
}
