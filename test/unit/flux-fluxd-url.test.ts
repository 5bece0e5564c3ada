import {execFileSync} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {FluxdClient} from '../../src/lib/flux/fluxd.js'
import {type FluxdServer, startFluxd} from '../setup/fluxd-server.js'

// What fluxd's API says its Git remote is (POST /v9/git-repo-config) reaches flux sync's lines,
// errors and --json result: a token or password in that URL is shown as ***.
const keyDir = mkdtempSync(path.join(tmpdir(), 'fluxd-url-'))
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(keyDir, 'identity')])
const gitUrl = 'https://bot:S3CR3T-pw@github.com/elifesciences/elife-flux-cluster.git'
let server: FluxdServer | undefined

afterEach(async () => server?.stop())

describe("fluxd's Git remote URL", () => {
  it('a ready repository: the sync result and its progress lines show the password as ***', async () => {
    server = await startFluxd({privateKeyPath: path.join(keyDir, 'identity'), gitUrl, workloads: [], headRevision: 'a'.repeat(40)})
    const lines: string[] = []
    const result = await new FluxdClient(`http://127.0.0.1:${server.port}`, 'pod "flux-x" in flux').sync({
      timeoutMs: 10_000,
      pollMs: 10,
      onProgress: (m) => lines.push(m),
    })
    expect(result.gitUrl).toBe('https://bot:***@github.com/elifesciences/elife-flux-cluster.git')
    expect(lines.join('\n')).not.toContain('S3CR3T')
  })

  it('an unreachable repository: the error line shows the password as ***', async () => {
    server = await startFluxd({privateKeyPath: path.join(keyDir, 'identity'), gitUrl, workloads: [], headRevision: 'a'.repeat(40), repoStatus: 'unreachable'})
    const error = await new FluxdClient(`http://127.0.0.1:${server.port}`, 'pod "flux-x" in flux').sync({timeoutMs: 10_000, pollMs: 10}).catch((e: Error) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toContain('git repository https://bot:***@github.com/')
    expect((error as Error).message).not.toContain('S3CR3T')
  })
})
