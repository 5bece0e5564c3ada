#!/usr/bin/env node
// Benchmark for `elife-k8s doctor` against what the runbook has an admin run by hand for the same
// answers (kubectl, helm, one `helm get manifest` per release for the removed-API check), on the
// same local cluster in one run, in turns. Target (issue 18): every check in <= 1.5 s wall on the
// seeded cluster plus 300 helm releases.
//
//   npm run build && node bench/doctor.mjs [--runs 5] [--node PATH]
//
// The 300 releases (x 10 revisions) are seeded by bench/helm-list.mjs (run once with --runs 1
// --keep: real helm writes one release's history, cloned through the API), and kept afterwards.
import {execFileSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {cpus, loadavg} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

import {compare, measureInterleaved, printComparison} from './lib.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const {values: opts} = parseArgs({
  options: {runs: {type: 'string', default: '5'}, node: {type: 'string', default: process.execPath}, 'no-seed': {type: 'boolean', default: false}},
})
const runs = Number(opts.runs)
const kubeconfig = process.env.ELIFE_K8S_TEST_KUBECONFIG ?? path.join(root, '.cluster/kubeconfig')
const binDir = process.env.ELIFE_K8S_TEST_BIN ?? path.join(root, '.cluster/bin')
const env = {...process.env, KUBECONFIG: kubeconfig, NO_COLOR: '1', PATH: `${binDir}:${process.env.PATH}`}

if (!opts['no-seed']) {
  process.stderr.write('► seeding 300 helm releases x 10 revisions (bench/helm-list.mjs --runs 1 --keep)\n')
  execFileSync(process.execPath, [path.join(root, 'bench/helm-list.mjs'), '--runs', '1', '--keep'], {env, stdio: ['ignore', 'ignore', 'inherit']})
}

// The runbook's way to the same answers, one command after another as an admin would type them.
const byHand = `
kubectl version >/dev/null
kubectl get nodes >/dev/null
kubectl get pods -A >/dev/null
kubectl get deployments -A >/dev/null
kubectl -n flux get pods -l app=flux >/dev/null
kubectl -n flux get pods -l app=helm-operator >/dev/null
kubectl -n flux get secret flux-git-deploy >/dev/null 2>&1 || true
kubectl get crd helmreleases.helm.fluxcd.io >/dev/null 2>&1 || true
helm list -A -a >/dev/null
kubectl get helmreleases.helm.fluxcd.io -A -o yaml >/dev/null 2>&1 || true
kubectl -n kube-system get configmap kube-proxy-config -o yaml >/dev/null
kubectl -n kube-system get daemonset kube-proxy -o yaml >/dev/null
kubectl get namespaces --show-labels >/dev/null
kubectl -n adm get secret alertmanager-prometheus-operator -o yaml >/dev/null 2>&1 || true
kubectl get prometheuses,prometheusrules,servicemonitors -A >/dev/null 2>&1 || true
kubectl get configmaps -A -l grafana_dashboard >/dev/null
kubectl get canaries -A >/dev/null 2>&1 || true
helm list -A -a | awk 'NR > 1 {print $1, $2}' | while read -r name namespace; do helm get manifest "$name" -n "$namespace" >/dev/null; done
`
const nodeVersion = execFileSync(opts.node, ['--version']).toString().trim()
// The machine's load beside the figures: on a shared machine they are only comparable at a like load.
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')
const loadBefore = load()
const [ours, peer] = measureInterleaved(
  [
    // doctor exits 6 when a check fails (the seeded cluster has failed releases by design).
    {label: 'elife-k8s doctor', shell: `{time} ${opts.node} ${path.join(root, 'bin/run.js')} doctor >/dev/null 2>&1; test $? -le 6`},
    {label: 'the runbook by hand (kubectl, helm)', shell: `{time} bash -c '${byHand.replaceAll("'", "'\\''")}'`},
  ],
  {runs, env},
)
const c = compare(ours, peer)
const loadAfter = load()
printComparison(`doctor (every check) vs the runbook's commands for the same answers, Node ${nodeVersion}, ${runs} runs each in turns`, c)
console.log(`  elife-k8s doctor: ${Math.round(ours.wallMs)} ms (target <= 1500 ms): ${ours.wallMs <= 1500 ? 'met' : 'NOT met'}`)
console.log(`  load average (1, 5, 15 min) on ${cpus().length} CPUs: ${loadBefore} before, ${loadAfter} after`)
mkdirSync(path.join(root, 'bench/results'), {recursive: true})
writeFileSync(
  path.join(root, 'bench/results/doctor.json'),
  JSON.stringify(
    {node: nodeVersion, loadavg: {cpus: cpus().length, before: loadBefore, after: loadAfter}, ...c, walls: {ours: ours.walls, peer: peer.walls}},
    null,
    2,
  ),
)
