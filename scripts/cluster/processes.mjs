// The local test cluster's harness (harness.mjs is its public API).
// Processes: start, stop, pid files.

import {spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {COMPONENTS, sleep} from './common.mjs'

export function processAlive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return err.code === 'EPERM'
  }
}

function processArgv(pid) {
  try {
    // Empty for zombies, which is what we want: a zombie is not a running component.
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
  } catch {
    return null
  }
}

/**
 * Whether `pid` is one of this cluster's component processes. Pid files can outlive their
 * process and pids get reused, so a pid only counts when the process is one of our binaries and
 * its command line points into this state directory.
 */
export function isOurProcess(pid, stateDir) {
  if (!pid || !processAlive(pid)) return false
  const argv = processArgv(pid)
  if (argv === null) return true // no /proc (not Linux): trust the pid file
  return argv.length > 0 && COMPONENTS.includes(path.basename(argv[0])) && argv.some((a) => a.includes(`${stateDir}/`))
}

/** Component processes of this state dir that no pid file knows about (Linux only). */
function strayPids(stateDir) {
  let entries
  try {
    entries = fs.readdirSync('/proc')
  } catch {
    return []
  }
  return entries
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => pid !== process.pid && isOurProcess(pid, stateDir))
}

export function readPid(stateDir, name) {
  try {
    return Number(fs.readFileSync(path.join(stateDir, 'pids', `${name}.pid`), 'utf8').trim()) || 0
  } catch {
    return 0
  }
}

/** SIGTERM to the process group, then SIGKILL if it has not gone within `graceMs`. */
async function stopPid(pid, stateDir, graceMs = 10_000) {
  if (!isOurProcess(pid, stateDir)) return false
  const signal = (sig) => {
    try {
      process.kill(-pid, sig) // every component leads its own process group
    } catch {
      try {
        process.kill(pid, sig)
      } catch {}
    }
  }
  signal('SIGTERM')
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, stateDir)) return true
    await sleep(100)
  }
  signal('SIGKILL')
  for (let i = 0; i < 50 && isOurProcess(pid, stateDir); i++) await sleep(100)
  return true
}

export async function stopComponent(stateDir, name) {
  const pid = readPid(stateDir, name)
  // kube-apiserver stops serving at once on SIGTERM but its process can linger for many seconds
  // afterwards; nothing is lost by not waiting for it.
  const stopped = await stopPid(pid, stateDir, name === 'kube-apiserver' ? 3000 : 10_000)
  fs.rmSync(path.join(stateDir, 'pids', `${name}.pid`), {force: true})
  return stopped
}

export async function stopAll(stateDir) {
  for (const name of [...COMPONENTS].reverse()) await stopComponent(stateDir, name)
  for (const pid of strayPids(stateDir)) await stopPid(pid, stateDir)
}

/**
 * Starts a component detached (its own session and process group, so it outlives the caller,
 * e.g. a test runner, and can be stopped as a group), output appended to logs/<name>.log.
 */
export function startComponent(stateDir, name, bin, args) {
  const logFile = path.join(stateDir, 'logs', `${name}.log`)
  const fd = fs.openSync(logFile, 'a')
  fs.writeSync(fd, `\n==== ${new Date().toISOString()} starting ${name}: ${bin} ${args.join(' ')}\n`)
  let child
  try {
    child = spawn(bin, args, {cwd: stateDir, detached: true, stdio: ['ignore', fd, fd]})
  } finally {
    fs.closeSync(fd)
  }
  child.on('error', () => {}) // reported through the pid check below / the readiness wait
  child.unref()
  if (!child.pid) throw new Error(`could not start ${name} (${bin})`)
  fs.writeFileSync(path.join(stateDir, 'pids', `${name}.pid`), `${child.pid}\n`)
  return {pid: child.pid, bin, args, log: logFile}
}

export function logTail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no log)'
  }
}
