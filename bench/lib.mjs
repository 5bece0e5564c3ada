// Shared measuring for the benchmarks: run a command several times, take the median wall time
// and the peak resident set size (GNU time's %M), and compare two tools as ratios.
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

const gnuTime = '/usr/bin/time'

/**
 * One run of `argv` (or of a shell pipeline, `{time}` marking where GNU time goes: the pipeline's
 * wall time, and the CPU and peak RSS of the command it wraps): wall ms, CPU ms, peak RSS KB.
 */
function runOnce({label, argv, shell}, env, timeFile) {
  const format = ['-f', '%U %S %M', '-o', timeFile]
  const started = process.hrtime.bigint()
  const result = shell
    ? spawnSync('bash', ['-o', 'pipefail', '-c', shell.replace('{time}', `${gnuTime} ${format.map((a) => `'${a}'`).join(' ')}`)], {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
        maxBuffer: 1 << 30,
      })
    : spawnSync(gnuTime, [...format, ...argv], {env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30})
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6
  if (result.status !== 0) throw new Error(`${label} failed (exit ${result.status}): ${result.stderr?.toString().slice(0, 500)}`)
  const [user, sys, rssKb] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number)
  return {wallMs, cpuMs: (user + sys) * 1000, rssKb}
}

/**
 * Runs the commands in turns (a, b, a, b, ...), `runs` times each after `warmup` rounds, so that
 * whatever else the machine does falls on both alike. Per command: the median wall and CPU time,
 * the peak RSS over all runs, and every wall time.
 */
export function measureInterleaved(commands, {runs = 5, env = process.env, warmup = 1} = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'elife-k8s-bench-'))
  const samples = commands.map(() => [])
  try {
    for (let i = 0; i < warmup + runs; i++) {
      commands.forEach((command, c) => {
        const sample = runOnce(command, command.env ?? env, path.join(dir, 'time'))
        if (i >= warmup) samples[c].push(sample)
      })
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
  return commands.map(({label}, c) => ({
    label,
    runs,
    wallMs: median(samples[c].map((s) => s.wallMs)),
    cpuMs: median(samples[c].map((s) => s.cpuMs)),
    peakRssKb: Math.max(...samples[c].map((s) => s.rssKb)),
    walls: samples[c].map((s) => round(s.wallMs)),
  }))
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** One line per comparison: ours vs the peer, as ratios (below 1 means we use less). */
export function compare(ours, peer) {
  return {
    ours: ours.label,
    peer: peer.label,
    wallMs: {ours: round(ours.wallMs), peer: round(peer.wallMs), ratio: round(ours.wallMs / peer.wallMs, 3)},
    peakRssMb: {ours: round(ours.peakRssKb / 1024), peer: round(peer.peakRssKb / 1024), ratio: round(ours.peakRssKb / peer.peakRssKb, 3)},
  }
}

/**
 * Whether NODE_EXTRA_CA_CERTS is set for the runs (the environment the machine gives, either way):
 * Node reads that file when a connection first needs it, in under 10 ms.
 */
export function caNote(env = process.env) {
  return `NODE_EXTRA_CA_CERTS ${env.NODE_EXTRA_CA_CERTS ? 'set' : 'unset'}`
}

export function round(n, digits = 1) {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

export function printComparison(title, c) {
  console.log(`${title}`)
  console.log(`  wall time   ${c.ours}: ${c.wallMs.ours} ms   ${c.peer}: ${c.wallMs.peer} ms   ratio ${c.wallMs.ratio}x`)
  console.log(`  peak memory ${c.ours}: ${c.peakRssMb.ours} MB   ${c.peer}: ${c.peakRssMb.peer} MB   ratio ${c.peakRssMb.ratio}x`)
}

/**
 * Starts a helper server (moto, the WAN proxy) that prints `PORT n` on stdout once it listens.
 * Its stdin stays open: moto's launcher stops when it closes. Resolves to {child, port}.
 */
export function spawnServer(label, file, args, {stderr = 'ignore'} = {}) {
  const child = spawn(file, args, {stdio: ['pipe', 'pipe', stderr]})
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      const match = /PORT (\d+)/.exec(out)
      if (match) resolve({child, port: Number(match[1])})
    })
    child.on('exit', (code) => reject(new Error(`${label} exited (${code})`)))
  })
}
