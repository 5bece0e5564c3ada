// The local test cluster's harness (harness.mjs is its public API).
// Binaries: versions, paths, build.sh.

import {spawn} from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import {KUBELET_FRONT_DIR, here} from './common.mjs'

export function readVersions() {
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

export function binaryPaths(binRoot, versions) {
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
export function build(quiet) {
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
