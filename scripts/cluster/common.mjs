// Part of the local test cluster's harness (harness.mjs is its public API): shared constants,
// paths and small helpers.

import {execFile} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const here = path.dirname(fileURLToPath(import.meta.url))
export const repoRoot = path.resolve(here, '..', '..')
export const FIXTURES_DIR = path.join(here, 'fixtures')
export const NODES_FIXTURE = path.join(FIXTURES_DIR, '01-nodes.yaml')
export const STAGES_FILE = path.join(here, 'kwok', 'stages.yaml')
export const KUBELET_FRONT_DIR = path.join(here, 'kubelet-front')

export const CONTEXT = 'elife-local'
export const VIEWER_CONTEXT = 'elife-local-viewer'
export const SERVICE_CIDR = '10.96.0.0/16'
export const SERVICE_IP = '10.96.0.1'
export const FIELD_MANAGER = 'elife-k8s-fixtures'
// Marks a state directory as ours, so that wiping a stale one can never remove anything else
// (ELIFE_K8S_CLUSTER_DIR could point anywhere).
export const MARKER = '.elife-k8s-cluster'
// Start order; stopped in reverse.
export const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet-front', 'kwok']
// Fixture workloads carrying this annotation are expected never to become ready.
export const EXPECT_ANNOTATION = 'elife-k8s.test/expect'

/** The state directory: `dir` if given, else $ELIFE_K8S_CLUSTER_DIR, else <repo>/.cluster. */
export function defaultStateDir() {
  return path.resolve(process.env.ELIFE_K8S_CLUSTER_DIR || path.join(repoRoot, '.cluster'))
}

export function resolveDir(dir) {
  return dir ? path.resolve(dir) : defaultStateDir()
}

export function makeLogger(quiet) {
  const t0 = Date.now()
  return (msg) => {
    if (!quiet) process.stderr.write(`[cluster +${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`)
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

export function run(cmd, args, {cwd, input, timeoutMs = 120_000} = {}) {
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
