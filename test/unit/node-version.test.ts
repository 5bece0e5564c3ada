import {spawnSync} from 'node:child_process'
import {accessSync, constants, readFileSync, realpathSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import vm from 'node:vm'

import {describe, expect, it} from 'vitest'

// bin/run.js checks the running Node.js before it loads anything else: on an older Node one line
// on stderr and exit code 2, never a syntax error or a stack trace from a dependency.
const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const runJs = path.join(repoRoot, 'bin/run.js')
const engines = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {engines: {node: string}}).engines.node
const oneLine =
  /^elife-k8s: needs Node\.js \^22\.12\.0 \|\| >=24, found v[\d.]+ \(.+\); in a checkout after `npm ci`, `npx elife-k8s` runs it on the Node\.js npm installed there\n$/

/** Runs bin/run.js's source as if on Node `version`: what it wrote, its exit code, whether it went on to main.js. */
function runAs(version: string): {stderr: string; exitCode?: number; loadedMain: boolean} {
  const result = {stderr: '', exitCode: undefined as number | undefined, loadedMain: false}
  const fakeProcess = {
    versions: {node: version},
    version: `v${version}`,
    execPath: '/usr/bin/node',
    stderr: {write: (text: string) => (result.stderr += text)},
    exit: (code: number) => {
      result.exitCode = code
      throw new Error('exit')
    },
  }
  const fakeRequire = (id: string) => {
    expect(id).toBe('./main.js')
    result.loadedMain = true
  }
  const source = readFileSync(runJs, 'utf8').replace(/^#!.*\n/, '')
  try {
    vm.runInNewContext(source, {process: fakeProcess, require: fakeRequire})
  } catch (error) {
    if ((error as Error).message !== 'exit') throw error
  }
  return result
}

/** Every `node` on PATH (as `which -a node` finds them), by real path. */
function nodesOnPath(): string[] {
  const found = new Set<string>()
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'node')
    try {
      accessSync(candidate, constants.X_OK)
      found.add(realpathSync(candidate))
    } catch {
      // not here
    }
  }
  return [...found]
}

describe('the Node.js version check in bin/run.js', () => {
  it('states the range package.json engines declares', () => {
    expect(readFileSync(runJs, 'utf8')).toContain(`var required = '${engines}'`)
    expect(engines).toBe('^22.12.0 || >=24')
  })

  it('refuses every older or unsupported Node with one line and exit code 2', () => {
    for (const version of ['0.10.48', '14.21.3', '18.20.8', '20.20.2', '22.11.0', '23.11.1']) {
      const result = runAs(version)
      expect(result, version).toMatchObject({exitCode: 2, loadedMain: false})
      expect(result.stderr, version).toMatch(oneLine)
      expect(result.stderr, version).toContain(`found v${version} (/usr/bin/node)`)
    }
  })

  it('goes on to the CLI on a supported Node', () => {
    for (const version of ['22.12.0', '22.23.3', '24.0.0', '24.21.0', '26.10.0']) {
      expect(runAs(version), version).toEqual({stderr: '', exitCode: undefined, loadedMain: true})
    }
  })

  it('on the real older Node.js this machine has installed, if any (CI: Node 20), prints the line and exits 2', () => {
    const older = nodesOnPath().filter((node) => {
      const [major, minor] = spawnSync(node, ['-p', 'process.versions.node'], {encoding: 'utf8'}).stdout.trim().split('.').map(Number)
      return !((major === 22 && minor >= 12) || major >= 24)
    })
    for (const node of older) {
      for (const args of [['helm', 'list', '-A'], ['token', '--cluster', 'x'], ['--help']]) {
        const child = spawnSync(node, [runJs, ...args], {encoding: 'utf8'})
        expect(child.stdout, node).toBe('')
        expect(child.stderr, node).toMatch(oneLine)
        expect(child.status, node).toBe(2)
      }
    }
    // The supported Node under test runs the CLI itself.
    const help = spawnSync(process.execPath, [runJs, '--version'], {encoding: 'utf8'})
    expect(help.stderr).toBe('')
    expect(help.status).toBe(0)
  })
})
