#!/usr/bin/env node
// Benchmark for `elife-k8s images --by pod -A` against the runbook's kubectl one-liner, on the
// same local cluster in one run, at 1,000 and 10,000 seeded pods. Targets (issue 2) at 10,000
// pods: wall time no more than kubectl's, peak memory at most 1.5x kubectl's.
//
//   npm run build && npm run bench:images -- [--sizes 1000,10000] [--runs 5] [--keep]
//
// It brings the local cluster up (or reuses it), seeds pods into bench-* namespaces with
// nodeName set on the kwok nodes (the scheduler is not what is measured), waits for kwok to
// report them Running (so objects carry a realistic status), measures, and deletes what it seeded.
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

import * as k8s from '@kubernetes/client-node'

import {up} from '../scripts/cluster/harness.mjs'
import {caNote, compare, measureInterleaved, printComparison} from './lib.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const {values: opts} = parseArgs({
  options: {sizes: {type: 'string', default: '1000,10000'}, runs: {type: 'string', default: '5'}, keep: {type: 'boolean', default: false}},
})
const sizes = opts.sizes.split(',').map(Number)
const runs = Number(opts.runs)

const cluster = await up({quiet: true})
const kc = new k8s.KubeConfig()
kc.loadFromFile(cluster.kubeconfig)
const core = kc.makeApiClient(k8s.CoreV1Api)
const env = {...process.env, KUBECONFIG: cluster.kubeconfig, NO_COLOR: '1'}
const kubectl = path.join(cluster.binDir, 'kubectl')

const nodes = (await core.listNode()).items.map((n) => n.metadata.name)
const perNamespace = 1000

function benchPod(namespace, i) {
  const app = `app-${i % 50}`
  return {
    metadata: {name: `${app}-${i}`, namespace, labels: {app, 'app.kubernetes.io/part-of': 'bench', tier: i % 3 ? 'web' : 'worker'}},
    spec: {
      nodeName: nodes[i % nodes.length],
      initContainers: [{name: 'migrate', image: `elifesciences/${app}:${(i % 7).toString(16).padStart(7, 'a')}`, command: ['./migrate.sh']}],
      containers: [
        {
          name: 'web',
          image: `elifesciences/${app}:${(i % 7).toString(16).padStart(7, 'a')}`,
          ports: [{containerPort: 8080}],
          env: [{name: 'ENVIRONMENT', value: 'prod'}],
          resources: {requests: {cpu: '100m', memory: '128Mi'}},
        },
        {name: 'nginx', image: 'nginx:1.25', ports: [{containerPort: 80}]},
      ],
    },
  }
}

async function pool(items, concurrency, fn) {
  let next = 0
  await Promise.all(
    Array.from({length: concurrency}, async () => {
      while (next < items.length) await fn(items[next++])
    }),
  )
}

async function countPods() {
  // remainingItemCount is only given for lists without selectors, so count the bench namespaces'
  // pods with limit=1, and the ones not Running yet with a field selector (a shrinking list),
  // instead of listing 10,000 pods on every poll.
  let total = 0
  let notRunning = 0
  for (const ns of (await core.listNamespace({labelSelector: 'elife-k8s/bench=true'})).items) {
    const page = await core.listNamespacedPod({namespace: ns.metadata.name, limit: 1})
    total += page.items.length + (page.metadata?.remainingItemCount ?? 0)
    let token
    do {
      const waiting = await core.listNamespacedPod({namespace: ns.metadata.name, fieldSelector: 'status.phase!=Running', limit: 500, _continue: token})
      notRunning += waiting.items.length
      token = waiting.metadata?._continue
    } while (token)
  }
  return {total, running: total - notRunning}
}

async function seed(total) {
  const namespaces = Array.from({length: Math.ceil(total / perNamespace)}, (_, i) => `bench-${i}`)
  for (const name of namespaces)
    await core.createNamespace({body: {metadata: {name, labels: {'elife-k8s/bench': 'true'}}}}).catch((e) => (e.code === 409 ? undefined : Promise.reject(e)))
  const {total: have} = await countPods()
  if (have > total)
    throw new Error(
      `${have} bench pods are already there, more than the ${total} wanted: delete the bench-* namespaces first (kubectl delete ns -l elife-k8s/bench=true)`,
    )
  const wanted = []
  for (let i = have; i < total; i++) wanted.push(i)
  process.stderr.write(`► seeding ${wanted.length} pods (${have} already there)\n`)
  await pool(wanted, 32, async (i) => {
    const namespace = namespaces[Math.floor(i / perNamespace)]
    await core.createNamespacedPod({namespace, body: benchPod(namespace, i)}).catch((e) => (e.code === 409 ? undefined : Promise.reject(e)))
  })
  const deadline = Date.now() + 30 * 60_000
  for (;;) {
    const {running, total: seen} = await countPods()
    process.stderr.write(`◎ ${running}/${seen} bench pods Running\n`)
    if (running >= total || Date.now() > deadline) break
    await new Promise((r) => setTimeout(r, 15_000))
  }
  return namespaces
}

const results = []
for (const size of sizes) {
  await seed(size)
  const jsonpath = '{range .items[*]}{"\\n"}{.metadata.name}{":\\t"}{range .spec.containers[*]}{.image}{", "}{end}{end}'
  const ourArgv = [process.execPath, path.join(root, 'bin/run.js'), 'images', '--by', 'pod', '-A']
  const [ours, peer, oclif] = measureInterleaved(
    [
      {label: 'elife-k8s images --by pod -A', argv: ourArgv},
      {label: 'kubectl one-liner', shell: `{time} ${kubectl} get pods --all-namespaces -o=jsonpath='${jsonpath}' | sort | column -t`},
      // The same command without its fast path (src/lib/cli/fast.ts): what the fast path saves.
      {label: 'elife-k8s images --by pod -A, through oclif', argv: ourArgv, env: {...env, ELIFE_K8S_FAST_PATH: '0'}},
    ],
    {runs, env},
  )
  const c = compare(ours, peer)
  const fastPath = compare(ours, oclif)
  printComparison(`${size} bench pods (+ the seeded cluster's own), Node ${process.version} (${caNote(env)}), ${runs} runs each in turns`, c)
  console.log(
    `  fast path: ${c.wallMs.ours} ms, through oclif (ELIFE_K8S_FAST_PATH=0): ${fastPath.wallMs.peer} ms: saves ${Math.round((oclif.wallMs - ours.wallMs) * 10) / 10} ms (kept if >= 20 ms)`,
  )
  results.push({pods: size, ...c, fastPath})
}

mkdirSync(path.join(root, 'bench/results'), {recursive: true})
writeFileSync(
  path.join(root, 'bench/results/images.json'),
  JSON.stringify({date: new Date().toISOString(), node: process.version, nodeExtraCaCerts: Boolean(env.NODE_EXTRA_CA_CERTS), results}, null, 2),
)

if (!opts.keep) {
  process.stderr.write('► deleting bench namespaces\n')
  const list = await core.listNamespace({labelSelector: 'elife-k8s/bench=true'})
  for (const ns of list.items) await core.deleteNamespace({name: ns.metadata.name})
}
