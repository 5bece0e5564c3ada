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

import {execFile, spawn} from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {seed} from './seed.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
export const repoRoot = path.resolve(here, '..', '..')
const FIXTURES_DIR = path.join(here, 'fixtures')
const NODES_FIXTURE = path.join(FIXTURES_DIR, '01-nodes.yaml')
const STAGES_FILE = path.join(here, 'kwok', 'stages.yaml')
const KUBELET_FRONT_DIR = path.join(here, 'kubelet-front')

export const CONTEXT = 'elife-local'
export const VIEWER_CONTEXT = 'elife-local-viewer'
const SERVICE_CIDR = '10.96.0.0/16'
const SERVICE_IP = '10.96.0.1'
const FIELD_MANAGER = 'elife-k8s-fixtures'
// Marks a state directory as ours, so that wiping a stale one can never remove anything else
// (ELIFE_K8S_CLUSTER_DIR could point anywhere).
const MARKER = '.elife-k8s-cluster'
// Start order; stopped in reverse.
const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet-front', 'kwok']
// Fixture workloads carrying this annotation are expected never to become ready.
const EXPECT_ANNOTATION = 'elife-k8s.test/expect'

/** The state directory: `dir` if given, else $ELIFE_K8S_CLUSTER_DIR, else <repo>/.cluster. */
export function defaultStateDir() {
  return path.resolve(process.env.ELIFE_K8S_CLUSTER_DIR || path.join(repoRoot, '.cluster'))
}

function resolveDir(dir) {
  return dir ? path.resolve(dir) : defaultStateDir()
}

function makeLogger(quiet) {
  const t0 = Date.now()
  return (msg) => {
    if (!quiet) process.stderr.write(`[cluster +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`)
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function run(cmd, args, {cwd, input, timeoutMs = 120_000} = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, {cwd, timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024}, (err, stdout, stderr) => {
      if (err) {
        err.message = `${path.basename(cmd)} ${args.join(' ')} failed: ${(stderr || err.message).trim()}`
        err.stdout = stdout
        err.stderr = stderr
        reject(err)
      } else resolve({stdout, stderr})
    })
    if (input !== undefined) child.stdin.end(input)
  })
}

// ---------------------------------------------------------------------------------------------
// Binaries

function readVersions() {
  const env = {}
  for (const line of fs.readFileSync(path.join(here, 'versions.env'), 'utf8').split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=["']?([^"'#\s]*)/.exec(line)
    if (m) env[m[1]] = m[2]
  }
  return {kubernetes: env.K8S_VERSION, etcd: env.ETCD_VERSION, kwok: env.KWOK_VERSION, helm: env.HELM_VERSION}
}

/** build.sh's cache key of kubelet-front: a hash of its source, so a change rebuilds it. */
function kubeletFrontKey() {
  const hash = crypto.createHash('sha256')
  for (const f of ['go.mod', 'go.sum', 'main.go']) hash.update(fs.readFileSync(path.join(KUBELET_FRONT_DIR, f)))
  return hash.digest('hex').slice(0, 12)
}

function binaryPaths(binRoot, versions) {
  const k8s = path.join(binRoot, `kubernetes-${versions.kubernetes}`)
  return {
    etcd: path.join(binRoot, `etcd-${versions.etcd}`, 'etcd'),
    'kube-apiserver': path.join(k8s, 'kube-apiserver'),
    'kube-controller-manager': path.join(k8s, 'kube-controller-manager'),
    'kube-scheduler': path.join(k8s, 'kube-scheduler'),
    kubectl: path.join(k8s, 'kubectl'),
    kwok: path.join(binRoot, `kwok-${versions.kwok}`, 'kwok'),
    helm: path.join(binRoot, `helm-${versions.helm}`, 'helm'),
    'kubelet-front': path.join(binRoot, `kubelet-front-${kubeletFrontKey()}`, 'kubelet-front'),
  }
}

/** Runs build.sh (a no-op when everything is cached) and returns the bin root it prints last. */
function build(quiet) {
  return new Promise((resolve, reject) => {
    // build.sh reports progress on stderr: shown live unless quiet, kept for the error otherwise.
    const child = spawn('bash', [path.join(here, 'build.sh')], {stdio: ['ignore', 'pipe', quiet ? 'pipe' : 'inherit']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr?.on('data', (d) => (stderr = (stderr + d).slice(-20_000)))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`scripts/cluster/build.sh failed (exit ${code})${stderr ? `:\n${stderr.slice(-4000)}` : ''}`))
      const last = stdout.trim().split('\n').pop()?.trim()
      if (!last) return reject(new Error('scripts/cluster/build.sh printed no bin root'))
      resolve(last)
    })
  })
}

// ---------------------------------------------------------------------------------------------
// Processes

function processAlive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return err.code === 'EPERM'
  }
}

function processArgv(pid) {
  try {
    // Empty for zombies, which is what we want: a zombie is not a running component.
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
  } catch {
    return null
  }
}

/**
 * Whether `pid` is one of this cluster's component processes. Pid files can outlive their
 * process and pids get reused, so a pid only counts when the process is one of our binaries and
 * its command line points into this state directory.
 */
function isOurProcess(pid, stateDir) {
  if (!pid || !processAlive(pid)) return false
  const argv = processArgv(pid)
  if (argv === null) return true // no /proc (not Linux): trust the pid file
  return argv.length > 0 && COMPONENTS.includes(path.basename(argv[0])) && argv.some((a) => a.includes(`${stateDir}/`))
}

/** Component processes of this state dir that no pid file knows about (Linux only). */
function strayPids(stateDir) {
  let entries
  try {
    entries = fs.readdirSync('/proc')
  } catch {
    return []
  }
  return entries.filter((e) => /^\d+$/.test(e)).map(Number).filter((pid) => pid !== process.pid && isOurProcess(pid, stateDir))
}

function readPid(stateDir, name) {
  try {
    return Number(fs.readFileSync(path.join(stateDir, 'pids', `${name}.pid`), 'utf8').trim()) || 0
  } catch {
    return 0
  }
}

/** SIGTERM to the process group, then SIGKILL if it has not gone within `graceMs`. */
async function stopPid(pid, stateDir, graceMs = 10_000) {
  if (!isOurProcess(pid, stateDir)) return false
  const signal = (sig) => {
    try {
      process.kill(-pid, sig) // every component leads its own process group
    } catch {
      try {
        process.kill(pid, sig)
      } catch {}
    }
  }
  signal('SIGTERM')
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, stateDir)) return true
    await sleep(100)
  }
  signal('SIGKILL')
  for (let i = 0; i < 50 && isOurProcess(pid, stateDir); i++) await sleep(100)
  return true
}

async function stopComponent(stateDir, name) {
  const pid = readPid(stateDir, name)
  // kube-apiserver stops serving at once on SIGTERM but its process can linger for many seconds
  // afterwards; nothing is lost by not waiting for it.
  const stopped = await stopPid(pid, stateDir, name === 'kube-apiserver' ? 3000 : 10_000)
  fs.rmSync(path.join(stateDir, 'pids', `${name}.pid`), {force: true})
  return stopped
}

async function stopAll(stateDir) {
  for (const name of [...COMPONENTS].reverse()) await stopComponent(stateDir, name)
  for (const pid of strayPids(stateDir)) await stopPid(pid, stateDir)
}

/**
 * Starts a component detached (its own session and process group, so it outlives the caller,
 * e.g. a test runner, and can be stopped as a group), output appended to logs/<name>.log.
 */
function startComponent(stateDir, name, bin, args) {
  const logFile = path.join(stateDir, 'logs', `${name}.log`)
  const fd = fs.openSync(logFile, 'a')
  fs.writeSync(fd, `\n==== ${new Date().toISOString()} starting ${name}: ${bin} ${args.join(' ')}\n`)
  let child
  try {
    child = spawn(bin, args, {cwd: stateDir, detached: true, stdio: ['ignore', fd, fd]})
  } finally {
    fs.closeSync(fd)
  }
  child.on('error', () => {}) // reported through the pid check below / the readiness wait
  child.unref()
  if (!child.pid) throw new Error(`could not start ${name} (${bin})`)
  fs.writeFileSync(path.join(stateDir, 'pids', `${name}.pid`), `${child.pid}\n`)
  return {pid: child.pid, bin, args, log: logFile}
}

function logTail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}

// ---------------------------------------------------------------------------------------------
// Ports, PKI, kubeconfigs

/** Free TCP ports on 127.0.0.1, all held open at once so they are distinct. */
async function freePorts(n) {
  const servers = []
  try {
    for (let i = 0; i < n; i++) {
      const server = net.createServer()
      await new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(0, '127.0.0.1', resolve)
      })
      servers.push(server)
    }
    return servers.map((s) => s.address().port)
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  }
}

/**
 * A CA and everything signed by it. RSA 2048 throughout, for the widest client compatibility.
 * Identities follow what kubeadm/EKS use, so the bootstrap RBAC rules apply unchanged.
 */
async function makePki(pki) {
  fs.mkdirSync(pki, {recursive: true, mode: 0o700})
  const openssl = (args) => run('openssl', args, {cwd: pki})
  await openssl(['req', '-x509', '-new', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '3650',
    '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=elife-k8s-local-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'])

  const leaf = async (name, subject, usage, sans = []) => {
    await openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject])
    const ext = ['[v3]', 'basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', `extendedKeyUsage=${usage}`]
    if (sans.length) ext.push(`subjectAltName=${sans.join(',')}`)
    fs.writeFileSync(path.join(pki, `${name}.ext`), ext.join('\n') + '\n')
    // A random serial per certificate (instead of a serial file) lets the signings run in parallel.
    await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', `0x${crypto.randomBytes(16).toString('hex')}`,
      '-days', '3650', '-sha256', '-extfile', `${name}.ext`, '-extensions', 'v3', '-out', `${name}.crt`])
    fs.rmSync(path.join(pki, `${name}.csr`))
    fs.rmSync(path.join(pki, `${name}.ext`))
  }
  const apiServerSans = ['DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local',
    'DNS:localhost', 'IP:127.0.0.1', `IP:${SERVICE_IP}`]
  await Promise.all([
    leaf('apiserver', '/CN=kube-apiserver', 'serverAuth', apiServerSans),
    // kwok's kubelet-like server: the API server dials it as `localhost` (see 01-nodes.yaml).
    leaf('kwok-serving', '/CN=kwok-kubelet', 'serverAuth', ['DNS:localhost', 'IP:127.0.0.1']),
    leaf('apiserver-kubelet-client', '/O=system:masters/CN=kube-apiserver-kubelet-client', 'clientAuth'),
    leaf('admin', '/O=system:masters/CN=admin', 'clientAuth'),
    leaf('viewer', '/CN=viewer', 'clientAuth'),
    leaf('controller-manager', '/CN=system:kube-controller-manager', 'clientAuth'),
    leaf('scheduler', '/CN=system:kube-scheduler', 'clientAuth'),
    leaf('kwok', '/O=system:masters/CN=kwok-controller', 'clientAuth'),
    // Service account token signing key pair.
    openssl(['genrsa', '-out', 'sa.key', '2048']).then(() => openssl(['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'])),
  ])
  for (const f of fs.readdirSync(pki)) if (f.endsWith('.key')) fs.chmodSync(path.join(pki, f), 0o600)
}

/** A self-contained kubeconfig (certificates embedded), so it can be copied anywhere. */
function writeKubeconfig(file, {server, pki, user, context}) {
  const b64 = (f) => fs.readFileSync(path.join(pki, f)).toString('base64')
  const yaml = `apiVersion: v1
kind: Config
clusters:
- name: ${CONTEXT}
  cluster:
    server: ${server}
    certificate-authority-data: ${b64('ca.crt')}
users:
- name: ${user.name}
  user:
    client-certificate-data: ${b64(`${user.cert}.crt`)}
    client-key-data: ${b64(`${user.cert}.key`)}
contexts:
- name: ${context}
  context:
    cluster: ${CONTEXT}
    user: ${user.name}
current-context: ${context}
preferences: {}
`
  fs.writeFileSync(file, yaml, {mode: 0o600})
}

// ---------------------------------------------------------------------------------------------
// Talking to the API server (admin client certificate; https from Node, no kubectl spawn)

function apiRequest(state, method, urlPath, {body, contentType = 'application/json', timeoutMs = 10_000} = {}) {
  const pki = path.join(state.stateDir, 'pki')
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: state.ports.apiServer, method, path: urlPath, agent: false, timeout: timeoutMs,
      ca: fs.readFileSync(path.join(pki, 'ca.crt')), cert: fs.readFileSync(path.join(pki, 'admin.crt')), key: fs.readFileSync(path.join(pki, 'admin.key')),
      headers: body === undefined ? {} : {'content-type': contentType},
    }, (res) => {
      let data = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (data += d))
      res.on('end', () => resolve({status: res.statusCode, body: data}))
    })
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out`)))
    req.on('error', reject)
    req.end(body)
  })
}

async function apiGet(state, urlPath) {
  const res = await apiRequest(state, 'GET', urlPath)
  if (res.status !== 200) throw new Error(`GET ${urlPath}: HTTP ${res.status} ${res.body.slice(0, 300)}`)
  return JSON.parse(res.body)
}

async function apiServerReady(state) {
  try {
    const res = await apiRequest(state, 'GET', '/readyz', {timeoutMs: 3000})
    return res.status === 200
  } catch {
    return false
  }
}

function etcdHealthy(port) {
  return new Promise((resolve) => {
    const req = http.get({host: '127.0.0.1', port, path: '/health', agent: false, timeout: 2000}, (res) => {
      let data = ''
      res.on('data', (d) => (data += d))
      res.on('end', () => resolve(res.statusCode === 200 && /"health":\s*"true"/.test(data)))
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(false))
  })
}

/** Polls `check` until it returns truthy; fails early if the component's process has died. */
async function waitFor(what, check, {timeoutMs, stateDir, component, intervalMs = 250}) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (component && !isOurProcess(readPid(stateDir, component), stateDir)) {
      const log = path.join(stateDir, 'logs', `${component}.log`)
      throw new Error(`${component} exited while waiting for ${what}; last lines of ${log}:\n${logTail(log)}`)
    }
    if (Date.now() > deadline) {
      const hint = component ? ` (see ${path.join(stateDir, 'logs', `${component}.log`)})` : ''
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${hint}`)
    }
    await sleep(intervalMs)
  }
}

// ---------------------------------------------------------------------------------------------
// State

function statePath(stateDir) {
  return path.join(stateDir, 'cluster.json')
}

function readState(stateDir) {
  try {
    return JSON.parse(fs.readFileSync(statePath(stateDir), 'utf8'))
  } catch {
    return null
  }
}

function writeState(state) {
  state.updatedAt = new Date().toISOString()
  const file = statePath(state.stateDir)
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n')
  fs.renameSync(`${file}.tmp`, file)
}

/** Healthy = every component process alive (and ours) and the API server's /readyz ok. */
async function isHealthy(state) {
  if (!state?.ports?.apiServer) return false
  for (const name of COMPONENTS) if (!isOurProcess(readPid(state.stateDir, name), state.stateDir)) return false
  return apiServerReady(state)
}

/** Removes a state directory, but only one this harness created (or an empty one). */
function wipeStateDir(stateDir) {
  if (!fs.existsSync(stateDir)) return
  const entries = fs.readdirSync(stateDir)
  if (entries.length && !entries.includes(MARKER)) {
    throw new Error(`${stateDir} exists and was not created by the cluster harness (no ${MARKER} file); refusing to delete it`)
  }
  fs.rmSync(stateDir, {recursive: true, force: true})
}

/**
 * One harness at a time per state directory, across processes (e.g. `npm run cluster:up` while
 * the test suite's global setup is starting the same cluster). A lock file in the temp dir holds
 * the owner's pid; a lock whose owner is gone is taken over.
 */
async function withLock(stateDir, fn, timeoutMs = 60 * 60_000) {
  const lock = path.join(os.tmpdir(), `elife-k8s-cluster-${crypto.createHash('sha256').update(stateDir).digest('hex').slice(0, 16)}.lock`)
  const deadline = Date.now() + timeoutMs
  let told = false
  for (;;) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, {flag: 'wx'})
      break
    } catch (err) {
      if (err.code !== 'EEXIST') throw err
      let owner = 0
      try {
        owner = Number(fs.readFileSync(lock, 'utf8').trim())
      } catch {}
      if (!owner || !processAlive(owner)) {
        fs.rmSync(lock, {force: true})
        continue
      }
      if (Date.now() > deadline) throw new Error(`another cluster harness (pid ${owner}) holds ${lock}`)
      if (!told) process.stderr.write(`[cluster] waiting for another cluster harness (pid ${owner}) working on ${stateDir}\n`)
      told = true
      await sleep(500)
    }
  }
  try {
    return await fn()
  } finally {
    fs.rmSync(lock, {force: true})
  }
}

// ---------------------------------------------------------------------------------------------
// Component command lines

/**
 * kube-apiserver flags for a state. `extraApiServerArgs` (`--flag=value` strings) are appended,
 * and replace a base flag of the same name, e.g. `--authorization-mode=Node,RBAC,Webhook`.
 */
export function apiServerArgs(state) {
  const pki = path.join(state.stateDir, 'pki')
  const base = [
    `--etcd-servers=http://127.0.0.1:${state.ports.etcdClient}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${state.ports.apiServer}`,
    '--advertise-address=127.0.0.1',
    // The `kubernetes` Service's endpoints would have to be the loopback address, which endpoint
    // validation rejects; nothing inside this cluster needs to reach the API server through it.
    '--endpoint-reconciler-type=none',
    `--tls-cert-file=${pki}/apiserver.crt`,
    `--tls-private-key-file=${pki}/apiserver.key`,
    `--client-ca-file=${pki}/ca.crt`,
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    // kube-proxy, aws-node and node-exporter run privileged / on the host network, as on EKS.
    '--allow-privileged=true',
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki}/sa.pub`,
    `--service-account-signing-key-file=${pki}/sa.key`,
    // Logs, exec, attach and port-forward go API server -> "kubelet": kwok's server, which serves
    // a certificate from our CA for localhost, reached through each node's ExternalDNS address.
    `--kubelet-client-certificate=${pki}/apiserver-kubelet-client.crt`,
    `--kubelet-client-key=${pki}/apiserver-kubelet-client.key`,
    `--kubelet-certificate-authority=${pki}/ca.crt`,
    '--kubelet-preferred-address-types=ExternalDNS,InternalIP,InternalDNS,Hostname,ExternalIP',
    '--profiling=false',
  ]
  const extra = state.extraApiServerArgs ?? []
  const flagName = (a) => a.split('=')[0]
  const overridden = new Set(extra.filter((a) => a.startsWith('--')).map(flagName))
  return [...base.filter((a) => !overridden.has(flagName(a))), ...extra]
}

function componentArgs(state, name) {
  const dir = state.stateDir
  const pki = path.join(dir, 'pki')
  const kubeconfigs = path.join(dir, 'kubeconfigs')
  switch (name) {
    case 'etcd':
      return [
        '--name=elife-local',
        `--data-dir=${dir}/etcd`,
        `--listen-client-urls=http://127.0.0.1:${state.ports.etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${state.ports.etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${state.ports.etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${state.ports.etcdPeer}`,
        `--initial-cluster=elife-local=http://127.0.0.1:${state.ports.etcdPeer}`,
        '--initial-cluster-state=new',
        // Throwaway test data: no fsync keeps a 2-core machine with a slow disk responsive.
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ]
    case 'kube-apiserver':
      return apiServerArgs(state)
    case 'kube-controller-manager':
      return [
        `--kubeconfig=${kubeconfigs}/controller-manager.kubeconfig`,
        '--controllers=*',
        '--leader-elect=false',
        // Each controller runs as its own service account, with the bootstrap RBAC roles made for
        // it (as kubeadm and EKS do); the system:kube-controller-manager user alone may not, for
        // example, create ReplicaSets.
        '--use-service-account-credentials=true',
        `--service-account-private-key-file=${pki}/sa.key`,
        `--root-ca-file=${pki}/ca.crt`,
        `--cluster-signing-cert-file=${pki}/ca.crt`,
        `--cluster-signing-key-file=${pki}/ca.key`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        `--cluster-name=${CONTEXT}`,
        // No health endpoint needed: liveness is the pid; 0 turns secure serving off.
        '--secure-port=0',
      ]
    case 'kube-scheduler':
      return [`--kubeconfig=${kubeconfigs}/scheduler.kubeconfig`, '--leader-elect=false', '--secure-port=0']
    case 'kubelet-front':
      return [
        `--listen=127.0.0.1:${state.ports.kubeletFront}`,
        `--backend=https://127.0.0.1:${state.ports.kwok}`,
        `--apiserver=${state.server}`,
        `--ca=${pki}/ca.crt`,
        `--tls-cert=${pki}/kwok-serving.crt`,
        `--tls-key=${pki}/kwok-serving.key`,
        `--client-cert=${pki}/kwok.crt`,
        `--client-key=${pki}/kwok.key`,
        `--work-dir=${dir}/kwok/exec`,
      ]
    case 'kwok':
      return [
        `--kubeconfig=${kubeconfigs}/kwok.kubeconfig`,
        `--config=${dir}/kwok/kwok.yaml`,
        // Only the fixture nodes (and nodes tests add with this annotation) are played by kwok.
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        // For nodes created without addresses: loopback keeps logs/exec working for them too.
        '--node-ip=127.0.0.1',
        // The kubelet port the nodes report, where the API server dials them: kubelet-front,
        // which passes everything on to kwok's server but attaches to ephemeral containers.
        `--node-port=${state.ports.kubeletFront}`,
        `--server-address=127.0.0.1:${state.ports.kwok}`,
        `--tls-cert-file=${pki}/kwok-serving.crt`,
        `--tls-private-key-file=${pki}/kwok-serving.key`,
        // Pod IPs on nodes without a podCIDR.
        '--cidr=10.0.128.0/17',
        '--node-lease-duration-seconds=40',
        // INFO logs a line per lease renewal and per pod transition: too much with benchmark-sized
        // pod counts. Failures are logged at ERROR.
        '--v=WARN',
      ]
    default:
      throw new Error(`unknown component ${name}`)
  }
}

/**
 * kwok's --config file: our Stages plus the simulation of the kubelet's debugging endpoints.
 * `kubectl logs`/attach read a canned CRI-format log; `kubectl exec` runs the command on THIS
 * machine (kwok has no containers) in kwok/exec; port-forward to any pod port reaches kwok's own
 * HTTP server (GET /healthz answers `ok`).
 */
function writeKwokConfig(state) {
  const kwokDir = path.join(state.stateDir, 'kwok')
  fs.mkdirSync(path.join(kwokDir, 'exec'), {recursive: true})
  fs.mkdirSync(path.join(kwokDir, 'logs'), {recursive: true})
  const logFile = path.join(kwokDir, 'logs', 'container.log')
  const previousLogFile = path.join(kwokDir, 'logs', 'container-previous.log')
  const criLines = (start, lines) => lines.map(([stream, text], i) => `${new Date(start + i * 1500).toISOString().replace('Z', '000000Z')} ${stream} F ${text}`).join('\n') + '\n'
  const t = Date.now() - 60_000
  fs.writeFileSync(logFile, criLines(t, [
    ['stdout', '[elife-k8s local cluster] this container is simulated by kwok: no process runs, this log is canned'],
    ['stdout', 'starting service'],
    ['stderr', 'NOTICE: fpm is running, pid 1'],
    ['stderr', 'NOTICE: ready to handle connections'],
    ['stdout', '10.0.1.23 - - "GET /ping HTTP/1.1" 200 4 "-" "kube-probe/1.35"'],
    ['stdout', '10.0.2.94 - - "GET / HTTP/1.1" 200 5124 "-" "Mozilla/5.0"'],
    ['stdout', '10.0.1.23 - - "GET /ping HTTP/1.1" 200 4 "-" "kube-probe/1.35"'],
  ]))
  fs.writeFileSync(previousLogFile, criLines(t - 3_600_000, [
    ['stdout', '[elife-k8s local cluster] previous (terminated) instance of a simulated container'],
    ['stderr', 'fatal: simulated crash before restart'],
  ]))
  const docs = [
    fs.readFileSync(STAGES_FILE, 'utf8'),
    `apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: canned-logs
spec:
  logs:
  - logsFile: ${JSON.stringify(logFile)}
    previousLogsFile: ${JSON.stringify(previousLogFile)}
`,
    `apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterAttach
metadata:
  name: canned-attach
spec:
  attaches:
  - logsFile: ${JSON.stringify(logFile)}
`,
    `apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterExec
metadata:
  name: local-exec
spec:
  execs:
  - local:
      workDir: ${JSON.stringify(path.join(kwokDir, 'exec'))}
      envs:
      - name: ELIFE_K8S_FAKE_EXEC
        value: "true"
`,
    `apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterPortForward
metadata:
  name: to-kwok-http
spec:
  forwards:
  - target:
      address: 127.0.0.1
      port: ${state.ports.kwok}
`,
  ]
  fs.writeFileSync(path.join(kwokDir, 'kwok.yaml'), docs.map((d) => d.trim()).join('\n---\n') + '\n')
}

function linkBinaries(state, bins) {
  const binDir = path.join(state.stateDir, 'bin')
  fs.mkdirSync(binDir, {recursive: true})
  for (const [name, target] of Object.entries(bins)) {
    const link = path.join(binDir, name)
    fs.rmSync(link, {force: true})
    fs.symlinkSync(target, link)
  }
  return binDir
}

function writeKubeconfigs(state) {
  const dir = state.stateDir
  const pki = path.join(dir, 'pki')
  const server = state.server
  writeKubeconfig(state.kubeconfig, {server, pki, user: {name: 'admin', cert: 'admin'}, context: CONTEXT})
  writeKubeconfig(state.viewerKubeconfig, {server, pki, user: {name: 'viewer', cert: 'viewer'}, context: VIEWER_CONTEXT})
  const own = path.join(dir, 'kubeconfigs')
  fs.mkdirSync(own, {recursive: true})
  writeKubeconfig(path.join(own, 'controller-manager.kubeconfig'), {server, pki, user: {name: 'system:kube-controller-manager', cert: 'controller-manager'}, context: CONTEXT})
  writeKubeconfig(path.join(own, 'scheduler.kubeconfig'), {server, pki, user: {name: 'system:kube-scheduler', cert: 'scheduler'}, context: CONTEXT})
  writeKubeconfig(path.join(own, 'kwok.kubeconfig'), {server, pki, user: {name: 'kwok-controller', cert: 'kwok'}, context: CONTEXT})
}

// ---------------------------------------------------------------------------------------------
// Fixtures

function kubectlApplyArgs(state) {
  return [`--kubeconfig=${state.kubeconfig}`, 'apply', '--server-side', '--force-conflicts', `--field-manager=${FIELD_MANAGER}`]
}

async function withRetries(what, fn, attempts = 3) {
  for (let i = 1; ; i++) {
    try {
      return await fn()
    } catch (err) {
      if (i >= attempts) throw err
      await sleep(1000 * i)
    }
  }
}

/**
 * Nodes first: a Node's status is ignored by a plain apply, so the EKS-like addresses, capacity
 * and node info in the fixture are applied again through the status subresource.
 */
async function applyNodes(state) {
  const kubectl = state.binaries.kubectl
  await withRetries('nodes', () => run(kubectl, [...kubectlApplyArgs(state), '-f', NODES_FIXTURE]))
  await withRetries('node status', () => run(kubectl, [...kubectlApplyArgs(state), '--subresource=status', '-f', NODES_FIXTURE]))
}

/** Applies every fixture (idempotent: server-side apply, forced), returns the applied objects. */
async function applyAll(state) {
  const {stdout} = await withRetries('fixtures', () => run(state.binaries.kubectl, [...kubectlApplyArgs(state), '-f', FIXTURES_DIR, '-o', 'json']))
  const parsed = JSON.parse(stdout)
  return parsed.kind === 'List' ? parsed.items : [parsed]
}

function workloadProblem(kind, o) {
  const s = o.status ?? {}
  if ((s.observedGeneration ?? 0) < (o.metadata.generation ?? 0)) return 'change not yet observed'
  if (kind === 'DaemonSet') {
    const want = s.desiredNumberScheduled ?? 0
    if (want === 0) return 'no node scheduled yet'
    if ((s.numberReady ?? 0) !== want || (s.updatedNumberScheduled ?? 0) !== want) return `${s.numberReady ?? 0}/${want} ready`
    return null
  }
  const want = o.spec.replicas ?? 1
  if ((s.readyReplicas ?? 0) !== want) return `${s.readyReplicas ?? 0}/${want} ready`
  if (kind === 'Deployment' && ((s.updatedReplicas ?? 0) !== want || (s.replicas ?? 0) !== want || (s.availableReplicas ?? 0) !== want)) return 'rollout in progress'
  if (kind === 'StatefulSet' && s.updateRevision && s.currentRevision !== s.updateRevision) return 'rollout in progress'
  return null
}

function podSummary(p) {
  const cond = (type) => p.status?.conditions?.find((c) => c.type === type)
  const scheduled = cond('PodScheduled')
  const waiting = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].map((c) => c.state?.waiting?.reason).filter(Boolean)
  const why = scheduled?.status === 'False' ? `unscheduled: ${scheduled.message ?? scheduled.reason}` : waiting.length ? `waiting: ${[...new Set(waiting)].join(',')}` : `ready=${cond('Ready')?.status ?? '?'}`
  return `${p.metadata.namespace}/${p.metadata.name} ${p.status?.phase ?? '?'} on ${p.spec.nodeName || '-'} (${why})`
}

/**
 * Waits until the fixture nodes are Ready and every fixture workload is fully ready, except
 * those annotated `elife-k8s.test/expect: unschedulable`. On timeout, says which pods are not
 * running and where the logs are.
 */
async function waitForFixtures(state, applied, {timeoutMs, log}) {
  const nodeNames = applied.filter((o) => o.kind === 'Node').map((o) => o.metadata.name)
  const workloads = applied.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind))
  const expectedPending = workloads.filter((o) => o.metadata.annotations?.[EXPECT_ANNOTATION] === 'unschedulable')
  const waitedOn = workloads.filter((o) => !expectedPending.includes(o))
  const namespaces = [...new Set(workloads.map((o) => o.metadata.namespace))]
  const key = (kind, ns, name) => `${kind}/${ns}/${name}`
  const want = new Set(waitedOn.map((o) => key(o.kind, o.metadata.namespace, o.metadata.name)))
  const isExpectedPending = (pod) => expectedPending.some((w) => w.metadata.namespace === pod.metadata.namespace && pod.metadata.name.startsWith(`${w.metadata.name}-`))

  let problems = []
  const deadline = Date.now() + timeoutMs
  let lastReport = 0
  for (;;) {
    // Fail fast, with the reason, if a process the fixtures depend on has died.
    for (const name of ['kube-controller-manager', 'kube-scheduler', 'kubelet-front', 'kwok']) {
      if (!isOurProcess(readPid(state.stateDir, name), state.stateDir)) {
        const file = path.join(state.stateDir, 'logs', `${name}.log`)
        throw new Error(`${name} is not running; last lines of ${file}:\n${logTail(file)}`)
      }
    }
    problems = []
    const nodes = (await apiGet(state, '/api/v1/nodes')).items
    for (const name of nodeNames) {
      const node = nodes.find((n) => n.metadata.name === name)
      const ready = node?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
      if (!ready) problems.push(`node ${name} not Ready`)
    }
    for (const [kind, plural] of [['Deployment', 'deployments'], ['StatefulSet', 'statefulsets'], ['DaemonSet', 'daemonsets']]) {
      const seen = new Set()
      for (const o of (await apiGet(state, `/apis/apps/v1/${plural}`)).items) {
        const k = key(kind, o.metadata.namespace, o.metadata.name)
        if (!want.has(k)) continue
        seen.add(k)
        const problem = workloadProblem(kind, o)
        if (problem) problems.push(`${kind.toLowerCase()} ${o.metadata.namespace}/${o.metadata.name}: ${problem}`)
      }
      for (const k of want) if (k.startsWith(`${kind}/`) && !seen.has(k)) problems.push(`${k} missing`)
    }
    if (!problems.length) break
    if (Date.now() > deadline) {
      const pods = (await apiGet(state, '/api/v1/pods')).items.filter((p) => namespaces.includes(p.metadata.namespace))
      const notRunning = pods.filter((p) => !isExpectedPending(p) && !(p.status?.phase === 'Running' && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')))
      const logs = path.join(state.stateDir, 'logs')
      throw new Error(`fixtures not ready after ${Math.round(timeoutMs / 1000)}s:\n  ${problems.join('\n  ')}\n` +
        `pods not running (${notRunning.length}):\n  ${notRunning.map(podSummary).join('\n  ') || '(none listed yet)'}\n` +
        `see the logs in ${logs} (kwok.log plays the kubelets, kube-scheduler.log, kube-controller-manager.log)`)
    }
    if (Date.now() - lastReport > 5000) {
      log(`waiting for fixtures: ${problems.length} not ready yet (${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; ...' : ''})`)
      lastReport = Date.now()
    }
    await sleep(500)
  }
  const pods = (await apiGet(state, '/api/v1/pods')).items.filter((p) => namespaces.includes(p.metadata.namespace))
  return {
    nodes: nodeNames.length,
    pods: pods.length,
    running: pods.filter((p) => p.status?.phase === 'Running').length,
    pendingByDesign: pods.filter(isExpectedPending).length,
  }
}

// ---------------------------------------------------------------------------------------------
// Public API

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
      log(`seeded: ${seeded.made.length ? `made ${seeded.made.join(', ')}` : 'every helm release was already as seeded'}; HelmReleases and the Alertmanager Secret re-applied`)
    }
    writeState(state)
    const secs = ((Date.now() - t0) / 1000).toFixed(1)
    log(`${reused ? 'reused' : 'up'} in ${secs}s: ${counts.nodes} nodes, ${counts.running}/${counts.pods} pods Running in the fixture namespaces (${counts.pendingByDesign} Pending by design)`)
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
  const components = Object.fromEntries(COMPONENTS.map((name) => {
    const pid = readPid(stateDir, name)
    return [name, {pid, running: isOurProcess(pid, stateDir)}]
  }))
  const ready = await apiServerReady(state)
  const allRunning = Object.values(components).every((c) => c.running)
  return {
    up: ready && allRunning,
    apiServerReady: ready,
    reason: ready && allRunning ? undefined : !ready ? 'kube-apiserver is not ready' : `not running: ${Object.entries(components).filter(([, c]) => !c.running).map(([n]) => n).join(', ')}`,
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
