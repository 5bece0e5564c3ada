// The local test cluster's harness (harness.mjs is its public API).
// Ports, PKI, kubeconfigs.

import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'

import {CONTEXT, SERVICE_IP, run} from './common.mjs'

/** Free TCP ports on 127.0.0.1, all held open at once so they are distinct. */
export async function freePorts(n) {
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
export async function makePki(pki) {
  fs.mkdirSync(pki, {recursive: true, mode: 0o700})
  const openssl = (args) => run('openssl', args, {cwd: pki})
  await openssl([
    'req',
    '-x509',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-sha256',
    '-days',
    '3650',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-subj',
    '/CN=elife-k8s-local-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ])

  const leaf = async (name, subject, usage, sans = []) => {
    await openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject])
    const ext = ['[v3]', 'basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', `extendedKeyUsage=${usage}`]
    if (sans.length) ext.push(`subjectAltName=${sans.join(',')}`)
    fs.writeFileSync(path.join(pki, `${name}.ext`), ext.join('\n') + '\n')
    // A random serial per certificate (instead of a serial file) lets the signings run in parallel.
    await openssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-set_serial',
      `0x${crypto.randomBytes(16).toString('hex')}`,
      '-days',
      '3650',
      '-sha256',
      '-extfile',
      `${name}.ext`,
      '-extensions',
      'v3',
      '-out',
      `${name}.crt`,
    ])
    fs.rmSync(path.join(pki, `${name}.csr`))
    fs.rmSync(path.join(pki, `${name}.ext`))
  }
  const apiServerSans = [
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local',
    'DNS:localhost',
    'IP:127.0.0.1',
    `IP:${SERVICE_IP}`,
  ]
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
export function writeKubeconfig(file, {server, pki, user, context}) {
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
