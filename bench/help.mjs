#!/usr/bin/env node
// Start-up of the CLI's help: `elife-k8s --help` and a plain oclif command's help
// (`elife-k8s helm history --help`), each also through node_modules' oclif (ELIFE_K8S_FAST_PATH=0,
// without the bundled help of src/lib/cli/help-fast.ts), next to `kubectl --help` and `node -e 0`
// on the same machine. Target (issue 15): <= 100 ms median wall. No cluster needed.
//
//   npm run build && node bench/help.mjs [--runs 15] [--node PATH] [--kubectl PATH]
import {existsSync, mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import {homedir, loadavg} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {execFileSync} from 'node:child_process'

import {measureInterleaved, round} from './lib.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
// The local cluster's kubectl (scripts/cluster), else the one on PATH.
const bins = path.join(homedir(), '.cache/elife-k8s/bin')
const builtKubectl = existsSync(bins)
  ? readdirSync(bins)
      .filter((d) => d.startsWith('kubernetes-v'))
      .map((d) => path.join(bins, d, 'kubectl'))
      .find((f) => existsSync(f))
  : undefined
const {values: opts} = parseArgs({
  options: {
    runs: {type: 'string', default: '15'},
    node: {type: 'string', default: process.execPath},
    kubectl: {type: 'string', default: builtKubectl ?? 'kubectl'},
  },
})
const runs = Number(opts.runs)
const nodeVersion = execFileSync(opts.node, ['--version']).toString().trim()
const bin = path.join(root, 'bin/run.js')
const env = {...process.env, NO_COLOR: '1'}
const oclif = {...env, ELIFE_K8S_FAST_PATH: '0'}

const load = loadavg()
const results = measureInterleaved(
  [
    {label: 'elife-k8s --help', argv: [opts.node, bin, '--help']},
    {label: 'elife-k8s helm history --help', argv: [opts.node, bin, 'helm', 'history', '--help']},
    {label: 'elife-k8s --help (node_modules oclif)', argv: [opts.node, bin, '--help'], env: oclif},
    {label: 'elife-k8s helm history --help (node_modules oclif)', argv: [opts.node, bin, 'helm', 'history', '--help'], env: oclif},
    {label: 'kubectl --help', argv: [opts.kubectl, '--help']},
    {label: 'node -e 0', argv: [opts.node, '-e', '0']},
  ],
  {runs, env, warmup: 2},
)
const loadAfter = loadavg()
console.log(
  `help start-up, Node ${nodeVersion}, ${runs} runs each in turns, load average ${load.map((l) => l.toFixed(2)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after`,
)
for (const r of results) console.log(`  ${r.label.padEnd(52)} median ${round(r.wallMs)} ms wall, ${round(r.cpuMs)} ms CPU, ${round(r.peakRssKb / 1024)} MB`)
const [rootHelp, commandHelp, rootOclif, commandOclif] = results
console.log(
  `  the bundled help saves ${round(rootOclif.wallMs - rootHelp.wallMs)} ms (--help), ${round(commandOclif.wallMs - commandHelp.wallMs)} ms (helm history --help)`,
)

mkdirSync(path.join(root, 'bench/results'), {recursive: true})
writeFileSync(
  path.join(root, 'bench/results/help.json'),
  JSON.stringify({date: new Date().toISOString(), node: nodeVersion, loadavg: {before: load, after: loadAfter}, results}, null, 2),
)
