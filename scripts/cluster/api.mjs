// The local test cluster's harness (harness.mjs is its public API).
// Requests to the API server (admin client certificate, https from Node) and health checks.

import fs from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import path from 'node:path'

import {sleep} from './common.mjs'
import {isOurProcess, logTail, readPid} from './processes.mjs'

function apiRequest(state, method, urlPath, {body, contentType = 'application/json', timeoutMs = 10_000} = {}) {
  const pki = path.join(state.stateDir, 'pki')
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: state.ports.apiServer,
        method,
        path: urlPath,
        agent: false,
        timeout: timeoutMs,
        ca: fs.readFileSync(path.join(pki, 'ca.crt')),
        cert: fs.readFileSync(path.join(pki, 'admin.crt')),
        key: fs.readFileSync(path.join(pki, 'admin.key')),
        headers: body === undefined ? {} : {'content-type': contentType},
      },
      (res) => {
        let data = ''
        res.setEncoding('utf8')
        res.on('data', (d) => (data += d))
        res.on('end', () => resolve({status: res.statusCode, body: data}))
      },
    )
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out`)))
    req.on('error', reject)
    req.end(body)
  })
}

export async function apiGet(state, urlPath) {
  const res = await apiRequest(state, 'GET', urlPath)
  if (res.status !== 200) throw new Error(`GET ${urlPath}: HTTP ${res.status} ${res.body.slice(0, 300)}`)
  return JSON.parse(res.body)
}

export async function apiServerReady(state) {
  try {
    const res = await apiRequest(state, 'GET', '/readyz', {timeoutMs: 3000})
    return res.status === 200
  } catch {
    return false
  }
}

export function etcdHealthy(port) {
  return new Promise((resolve) => {
    const req = http.get({host: '127.0.0.1', port, path: '/health', agent: false, timeout: 2000}, (res) => {
      let data = ''
      res.on('data', (d) => (data += d))
      res.on('end', () => resolve(res.statusCode === 200 && /"health":\s*"true"/.test(data)))
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(false))
  })
}

/** Polls `check` until it returns truthy; fails early if the component's process has died. */
export async function waitFor(what, check, {timeoutMs, stateDir, component, intervalMs = 250}) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (component && !isOurProcess(readPid(stateDir, component), stateDir)) {
      const log = path.join(stateDir, 'logs', `${component}.log`)
      throw new Error(`${component} exited while waiting for ${what}; last lines of ${log}:\n${logTail(log)}`)
    }
    if (Date.now() > deadline) {
      const hint = component ? ` (see ${path.join(stateDir, 'logs', `${component}.log`)})` : ''
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${hint}`)
    }
    await sleep(intervalMs)
  }
}
