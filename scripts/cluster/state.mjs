// The local test cluster's harness (harness.mjs is its public API).
// State: cluster.json, health, wiping, the lock.

import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {COMPONENTS, MARKER, sleep} from './common.mjs'
import {isOurProcess, processAlive, readPid} from './processes.mjs'
import {apiServerReady} from './api.mjs'

function statePath(stateDir) {
  return path.join(stateDir, 'cluster.json')
}

export function readState(stateDir) {
  try {
    return JSON.parse(fs.readFileSync(statePath(stateDir), 'utf8'))
  } catch {
    return null
  }
}

export function writeState(state) {
  state.updatedAt = new Date().toISOString()
  const file = statePath(state.stateDir)
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n')
  fs.renameSync(`${file}.tmp`, file)
}

/** Healthy = every component process alive (and ours) and the API server's /readyz ok. */
export async function isHealthy(state) {
  if (!state?.ports?.apiServer) return false
  for (const name of COMPONENTS) if (!isOurProcess(readPid(state.stateDir, name), state.stateDir)) return false
  return apiServerReady(state)
}

/** Removes a state directory, but only one this harness created (or an empty one). */
export function wipeStateDir(stateDir) {
  if (!fs.existsSync(stateDir)) return
  const entries = fs.readdirSync(stateDir)
  if (entries.length && !entries.includes(MARKER)) {
    throw new Error(`${stateDir} exists and was not created by the cluster harness (no ${MARKER} file); refusing to delete it`)
  }
  fs.rmSync(stateDir, {recursive: true, force: true})
}

/**
 * One harness at a time per state directory, across processes (e.g. `npm run cluster:up` while
 * the test suite's global setup is starting the same cluster). A lock file in the temp dir holds
 * the owner's pid; a lock whose owner is gone is taken over.
 */
export async function withLock(stateDir, fn, timeoutMs = 60 * 60_000) {
  const lock = path.join(os.tmpdir(), `elife-k8s-cluster-${crypto.createHash('sha256').update(stateDir).digest('hex').slice(0, 16)}.lock`)
  const deadline = Date.now() + timeoutMs
  let told = false
  for (;;) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, {flag: 'wx'})
      break
    } catch (err) {
      if (err.code !== 'EEXIST') throw err
      let owner = 0
      try {
        owner = Number(fs.readFileSync(lock, 'utf8').trim())
      } catch {}
      if (!owner || !processAlive(owner)) {
        fs.rmSync(lock, {force: true})
        continue
      }
      if (Date.now() > deadline) throw new Error(`another cluster harness (pid ${owner}) holds ${lock}`, {cause: err})
      if (!told) process.stderr.write(`[cluster] waiting for another cluster harness (pid ${owner}) working on ${stateDir}\n`)
      told = true
      await sleep(500)
    }
  }
  try {
    return await fn()
  } finally {
    fs.rmSync(lock, {force: true})
  }
}
