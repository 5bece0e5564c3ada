// The local test cluster's harness (harness.mjs is its public API).
// Component command lines and kwok config.

import fs from 'node:fs'
import path from 'node:path'

import {CONTEXT, SERVICE_CIDR, STAGES_FILE, VIEWER_CONTEXT} from './common.mjs'
import {writeKubeconfig} from './pki.mjs'

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

export function componentArgs(state, name) {
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
export function writeKwokConfig(state) {
  const kwokDir = path.join(state.stateDir, 'kwok')
  fs.mkdirSync(path.join(kwokDir, 'exec'), {recursive: true})
  fs.mkdirSync(path.join(kwokDir, 'logs'), {recursive: true})
  const logFile = path.join(kwokDir, 'logs', 'container.log')
  const previousLogFile = path.join(kwokDir, 'logs', 'container-previous.log')
  const criLines = (start, lines) =>
    lines.map(([stream, text], i) => `${new Date(start + i * 1500).toISOString().replace('Z', '000000Z')} ${stream} F ${text}`).join('\n') + '\n'
  const t = Date.now() - 60_000
  fs.writeFileSync(
    logFile,
    criLines(t, [
      ['stdout', '[elife-k8s local cluster] this container is simulated by kwok: no process runs, this log is canned'],
      ['stdout', 'starting service'],
      ['stderr', 'NOTICE: fpm is running, pid 1'],
      ['stderr', 'NOTICE: ready to handle connections'],
      ['stdout', '10.0.1.23 - - "GET /ping HTTP/1.1" 200 4 "-" "kube-probe/1.35"'],
      ['stdout', '10.0.2.94 - - "GET / HTTP/1.1" 200 5124 "-" "Mozilla/5.0"'],
      ['stdout', '10.0.1.23 - - "GET /ping HTTP/1.1" 200 4 "-" "kube-probe/1.35"'],
    ]),
  )
  fs.writeFileSync(
    previousLogFile,
    criLines(t - 3_600_000, [
      ['stdout', '[elife-k8s local cluster] previous (terminated) instance of a simulated container'],
      ['stderr', 'fatal: simulated crash before restart'],
    ]),
  )
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

export function linkBinaries(state, bins) {
  const binDir = path.join(state.stateDir, 'bin')
  fs.mkdirSync(binDir, {recursive: true})
  for (const [name, target] of Object.entries(bins)) {
    const link = path.join(binDir, name)
    fs.rmSync(link, {force: true})
    fs.symlinkSync(target, link)
  }
  return binDir
}

export function writeKubeconfigs(state) {
  const dir = state.stateDir
  const pki = path.join(dir, 'pki')
  const server = state.server
  writeKubeconfig(state.kubeconfig, {server, pki, user: {name: 'admin', cert: 'admin'}, context: CONTEXT})
  writeKubeconfig(state.viewerKubeconfig, {server, pki, user: {name: 'viewer', cert: 'viewer'}, context: VIEWER_CONTEXT})
  const own = path.join(dir, 'kubeconfigs')
  fs.mkdirSync(own, {recursive: true})
  writeKubeconfig(path.join(own, 'controller-manager.kubeconfig'), {
    server,
    pki,
    user: {name: 'system:kube-controller-manager', cert: 'controller-manager'},
    context: CONTEXT,
  })
  writeKubeconfig(path.join(own, 'scheduler.kubeconfig'), {server, pki, user: {name: 'system:kube-scheduler', cert: 'scheduler'}, context: CONTEXT})
  writeKubeconfig(path.join(own, 'kwok.kubeconfig'), {server, pki, user: {name: 'kwok-controller', cert: 'kwok'}, context: CONTEXT})
}
