import {spawnSync} from 'node:child_process'
import {chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {spawnRunner} from '../../src/lib/helm/binary.js'
import {CliError} from '../../src/lib/errors.js'

// lint's helm runner (spawnRunner) keeps execaRunner's contract without execa: these run real
// processes (sh scripts standing in for helm, which the contract does not depend on).

const scratch = mkdtempSync(path.join(tmpdir(), 'elife-k8s-spawn-runner-'))
afterAll(() => rmSync(scratch, {recursive: true, force: true}))

let counter = 0
function script(body: string, mode = 0o755): string {
  const file = path.join(scratch, `helm-${counter++}`)
  writeFileSync(file, `#!/bin/sh\n${body}\n`)
  chmodSync(file, mode)
  return file
}

/** Whether a process runs: a killed one whose parent has gone may stay a zombie here until PID 1 reaps it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 20))
  return !alive(pid)
}

describe('spawnRunner: helm without execa, for lint', () => {
  it('passes arguments as an array (no shell), values on stdin, and keeps stdout, stderr and the exit code apart', async () => {
    const helm = script('printf "%s|" "$@"; cat; echo "Error: bad chart" >&2; exit 3')
    const result = await spawnRunner(helm, {})(['template', 'a b', '$(touch x)', ';'], {input: 'replicaCount: 2\n'})
    expect(result).toEqual({stdout: 'template|a b|$(touch x)|;|replicaCount: 2\n', stderr: 'Error: bad chart\n', exitCode: 3})
  })

  it('gives helm the environment it is given and nothing else, stdin from nowhere without input', async () => {
    const helm = script('echo "${ELIFE_K8S_TEST_SECRET:-unset} ${GOGC:-unset} ${BASE:-unset}"; cat')
    process.env.ELIFE_K8S_TEST_SECRET = 'not-for-helm'
    try {
      const result = await spawnRunner(helm, {BASE: 'base', PATH: process.env.PATH})(['version'], {env: {GOGC: '400'}})
      expect(result).toEqual({stdout: 'unset 400 base\n', stderr: '', exitCode: 0})
    } finally {
      delete process.env.ELIFE_K8S_TEST_SECRET
    }
  })

  it('does not fail when helm ends before reading its values (EPIPE is not the story; the exit code is)', async () => {
    const helm = script('exit 1')
    const result = await spawnRunner(helm, {})(['template'], {input: 'x: 1\n'.repeat(200_000)})
    expect(result.exitCode).toBe(1)
  })

  it('says in one line that helm is missing or cannot be run', async () => {
    const missing = path.join(scratch, 'no-such-helm')
    const notFound = await spawnRunner(missing, {})(['template']).catch((error_: unknown) => error_)
    expect(notFound).toBeInstanceOf(CliError)
    expect((notFound as CliError).message).toBe(`helm binary "${missing}" was not found`)
    const notExecutable = script('exit 0', 0o644)
    const error = await spawnRunner(notExecutable, {})(['template']).catch((error_: unknown) => error_)
    expect(error).toBeInstanceOf(CliError)
    expect((error as CliError).message).toBe(`helm binary "${notExecutable}" cannot be executed (permission denied)`)
  })

  it('ends a helm that outlives its timeout (SIGTERM) and says so', async () => {
    const pidFile = path.join(scratch, 'timeout.pid')
    const helm = script(`echo $$ > '${pidFile}'\nexec sleep 30`)
    const error = await spawnRunner(helm, {})(['template'], {timeoutMs: 1000}).catch((error_: unknown) => error_)
    expect(error).toBeInstanceOf(CliError)
    expect((error as CliError).message).toBe('helm template did not finish within 1s')
    expect(await gone(Number(readFileSync(pidFile, 'utf8')))).toBe(true)
  })

  it('kills a helm that ignores SIGTERM (5 s later), and answers once it has ended', async () => {
    const pidFile = path.join(scratch, 'stubborn.pid')
    const helm = script(`trap '' TERM\necho $$ > '${pidFile}'\nwhile :; do sleep 0.1; done`)
    const error = await spawnRunner(helm, {})(['template'], {timeoutMs: 1000}).catch((error_: unknown) => error_)
    expect((error as CliError).message).toBe('helm template did not finish within 1s')
    expect(alive(Number(readFileSync(pidFile, 'utf8')))).toBe(false)
  }, 15_000)

  it('ends the helm processes still running when elife-k8s exits (Ctrl-C)', () => {
    const pidFile = path.join(scratch, 'orphan.pid')
    const helm = script(`echo $$ > '${pidFile}'\nexec sleep 30`)
    // A Node process that starts helm through the runner, then exits while helm runs.
    const program = `
      import {spawnRunner} from ${JSON.stringify(path.resolve('src/lib/helm/binary.ts'))}
      import {existsSync} from 'node:fs'
      spawnRunner(${JSON.stringify(helm)}, {})(['template'])
      const wait = setInterval(() => { if (existsSync(${JSON.stringify(pidFile)})) { clearInterval(wait); process.exit(130) } }, 20)
    `
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], {encoding: 'utf8', timeout: 30_000})
    expect({status: child.status, stderr: child.stderr}).toEqual({status: 130, stderr: ''})
    expect(existsSync(pidFile)).toBe(true)
    return gone(Number(readFileSync(pidFile, 'utf8'))).then((ended) => expect(ended).toBe(true))
  }, 40_000)
})
