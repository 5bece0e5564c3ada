#!/usr/bin/env node
// Benchmark for `elife-k8s token` against `aws eks get-token` for the same cluster, in one run
// (issue 3). Targets: with a warm cache at most 0.1x aws-cli's wall time, with a cold cache at
// most 0.5x. kubectl runs this command before its requests, so process start-up is what counts.
//
//   npm run build && npm run bench:token -- [--runs 10] [--json] [--node PATH]
//
// npm run puts the project's Node (package.json's dev dependency `node`) first on PATH. --node
// runs elife-k8s (and the `node -e 0` floor) under another Node binary, e.g. the oldest line, 22.
//
// moto (test/setup/eks-moto-server.py, PyPI moto[server]) plays STS on a loopback port, so a
// --role-arn AssumeRole is a real local HTTP round trip for both tools. Every command runs
// through the same bash wrapper (the cold runs first delete the token cache), so the wrapper's
// cost is the same on both sides, and the commands take turns run by run (so a busy machine slows
// all of them alike); medians of wall time, CPU time (user+sys) and peak RSS are reported. The environment is the one this script is started with, minus
// every AWS_* variable and with a throwaway HOME: NODE_EXTRA_CA_CERTS, if set, is kept, because
// kubectl passes it on too (the output says whether it was).
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

import {caNote, measureInterleaved, round, spawnServer} from './lib.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const {values: opts} = parseArgs({
  options: {runs: {type: 'string', default: '10'}, json: {type: 'boolean', default: false}, node: {type: 'string', default: process.execPath}},
})
const runs = Number(opts.runs)
const cluster = 'kubernetes-aws--flux-prod'
const role = 'arn:aws:iam::123456789012:role/kubernetes-aws--flux-prod--AmazonEKSUserRole'

const {child: moto, port} = await spawnServer('moto', 'python3', [path.join(root, 'test/setup/eks-moto-server.py')])

const home = mkdtempSync(path.join(tmpdir(), 'elife-k8s-bench-token-'))
const cacheHome = path.join(home, '.cache')
mkdirSync(path.join(home, '.aws'))
writeFileSync(path.join(home, '.aws', 'config'), '')
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') && name !== 'KUBECONFIG'))
Object.assign(env, {
  HOME: home,
  XDG_CACHE_HOME: cacheHome,
  AWS_CONFIG_FILE: path.join(home, '.aws', 'config'),
  AWS_SHARED_CREDENTIALS_FILE: path.join(home, '.aws', 'credentials'),
  AWS_ACCESS_KEY_ID: 'AKIAELIFEK8SBENCH001',
  AWS_SECRET_ACCESS_KEY: 'benchSecretAccessKeyNotRealAtAll000000000',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_ENDPOINT_URL_EKS: `http://127.0.0.1:${port}`,
  AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${port}`,
})

const nodeBin = opts.node
const nodeVersion = spawnSync(nodeBin, ['--version'], {encoding: 'utf8'}).stdout.trim()
const ours = `${nodeBin} ${path.join(root, 'bin/run.js')} token --cluster ${cluster} --region us-east-1`
const aws = `aws eks get-token --cluster-name ${cluster} --region us-east-1`
const clearCache = `rm -rf ${cacheHome}/elife-k8s; `

/** The commands in turns (see measureInterleaved), keyed by label, in ms and MB. */
function interleaved(commands, runEnv = env) {
  return Object.fromEntries(
    measureInterleaved(commands, {runs, env: runEnv}).map((m) => [
      m.label,
      {wallMs: round(m.wallMs), cpuMs: round(m.cpuMs), peakRssMb: round(m.peakRssKb / 1024)},
    ]),
  )
}

function ratios(ours, peer) {
  return {wall: round(ours.wallMs / peer.wallMs, 3), cpu: round(ours.cpuMs / peer.cpuMs, 3), rss: round(ours.peakRssMb / peer.peakRssMb, 3)}
}

const results = {}
try {
  const created = spawnSync(
    'aws',
    ['eks', 'create-cluster', '--name', cluster, '--role-arn', 'arn:aws:iam::123456789012:role/eks', '--resources-vpc-config', 'subnetIds=subnet-1'],
    {env, encoding: 'utf8'},
  )
  if (created.status !== 0) throw new Error(`create-cluster failed: ${created.stderr}`)

  for (const [variant, extra] of [
    ['no role', ''],
    ['--role-arn', ` --role-arn ${role}`],
  ]) {
    // The warm command's cache is filled by the cold one just before it, in every round.
    const m = interleaved([
      {label: 'aws', shell: `{time} ${aws}${extra}`},
      {label: 'cold', shell: `${clearCache}{time} ${ours}${extra}`},
      {label: 'warm', shell: `{time} ${ours}${extra}`},
      // The same without the token fast path (bin/main.js): what it saves, cold and warm.
      {label: 'coldOclif', shell: `${clearCache}{time} env ELIFE_K8S_FAST_PATH=0 ${ours}${extra}`},
      {label: 'warmOclif', shell: `{time} env ELIFE_K8S_FAST_PATH=0 ${ours}${extra}`},
      {label: 'node', shell: `{time} ${nodeBin} -e 0`},
    ])
    results[variant] = {...m, cold: {...m.cold, ratio: ratios(m.cold, m.aws)}, warm: {...m.warm, ratio: ratios(m.warm, m.aws)}}
  }
} finally {
  moto.kill('SIGTERM')
  rmSync(home, {recursive: true, force: true})
}

if (opts.json) {
  console.log(JSON.stringify(results, null, 2))
} else {
  const line = (name, r) =>
    `  ${name.padEnd(26)} wall ${String(r.wallMs).padStart(7)} ms   cpu ${String(r.cpuMs).padStart(6)} ms   peak ${String(r.peakRssMb).padStart(5)} MB`
  for (const [variant, r] of Object.entries(results)) {
    console.log(`── ${variant}, Node ${nodeVersion} (${caNote(env)}), ${runs} runs each, medians`)
    console.log(line('aws eks get-token', r.aws))
    if (r.cold)
      console.log(
        `${line('elife-k8s token, cold', r.cold)}   ratio wall ${r.cold.ratio.wall}x (target ≤ 0.5x: ${r.cold.ratio.wall <= 0.5 ? 'met' : 'MISSED'}), cpu ${r.cold.ratio.cpu}x, memory ${r.cold.ratio.rss}x`,
      )
    console.log(
      `${line('elife-k8s token, warm', r.warm)}   ratio wall ${r.warm.ratio.wall}x (target ≤ 0.1x: ${r.warm.ratio.wall <= 0.1 ? 'met' : 'MISSED'}), cpu ${r.warm.ratio.cpu}x, memory ${r.warm.ratio.rss}x`,
    )
    if (r.warmOclif) {
      console.log(line('token through oclif, cold', r.coldOclif))
      console.log(line('token through oclif, warm', r.warmOclif))
      console.log(
        `  the fast path saves ${round(r.coldOclif.wallMs - r.cold.wallMs)} ms cold, ${round(r.warmOclif.wallMs - r.warm.wallMs)} ms warm (kept if >= 20 ms)`,
      )
    }
    console.log(line('node -e 0 (floor)', r.node))
  }
}
mkdirSync(path.join(root, 'bench/results'), {recursive: true})
writeFileSync(
  path.join(root, 'bench/results/token.json'),
  `${JSON.stringify({runs, node: nodeVersion, nodeExtraCaCerts: Boolean(env.NODE_EXTRA_CA_CERTS), date: new Date().toISOString(), results}, null, 2)}\n`,
)
