// Shared measuring for the benchmarks: run a command several times, take the median wall time
// and the peak resident set size (GNU time's %M), and compare two tools as ratios.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

const gnuTime = '/usr/bin/time'

/**
 * Runs `argv` (or a shell pipeline when `shell` is given, measuring the pipeline's wall time and
 * the peak RSS of its first command, wrapped in GNU time) `runs` times after one warm-up run.
 */
export function measure({label, argv, shell, runs = 5, env = process.env, warmup = 1}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'elife-k8s-bench-'))
  const timeFile = path.join(dir, 'time')
  const walls = []
  const rss = []
  try {
    for (let i = 0; i < warmup + runs; i++) {
      const started = process.hrtime.bigint()
      const result = shell
        ? spawnSync('bash', ['-o', 'pipefail', '-c', shell.replace('{time}', `${gnuTime} -f %M -o ${timeFile}`)], {env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30})
        : spawnSync(gnuTime, ['-f', '%M', '-o', timeFile, ...argv], {env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30})
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6
      if (result.status !== 0) throw new Error(`${label} failed (exit ${result.status}): ${result.stderr?.toString().slice(0, 500)}`)
      if (i < warmup) continue
      walls.push(wallMs)
      rss.push(Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop()))
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
  return {label, runs, wallMs: median(walls), peakRssKb: Math.max(...rss), walls}
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

export function round(n, digits = 1) {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

export function printComparison(title, c) {
  console.log(`${title}`)
  console.log(`  wall time   ${c.ours}: ${c.wallMs.ours} ms   ${c.peer}: ${c.wallMs.peer} ms   ratio ${c.wallMs.ratio}x`)
  console.log(`  peak memory ${c.ours}: ${c.peakRssMb.ours} MB   ${c.peer}: ${c.peakRssMb.peer} MB   ratio ${c.peakRssMb.ratio}x`)
}
