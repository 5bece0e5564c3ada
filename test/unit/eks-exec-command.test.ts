import {chmodSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {elifeK8sExecCommand} from '../../src/lib/eks/exec-command.js'
import {execConfig} from '../../src/lib/eks/kubeconfig-entries.js'

// What the kubeconfig's exec entry runs (issue 15): bin/run.js starts with `#!/usr/bin/env node`, so
// kubectl starts it with PATH's node. When that is not the Node running `elife-k8s kubeconfig`
// (`npx elife-k8s` on a Node 22 that PATH does not name, a Node 20 first on PATH), the entry names
// the running Node and gives it the script.
const scratch = realpathSync(mkdtempSync(path.join(tmpdir(), 'elife-k8s-exec-')))

function executable(file: string, text = '#!/bin/sh\n'): string {
  mkdirSync(path.dirname(file), {recursive: true})
  writeFileSync(file, text)
  chmodSync(file, 0o755)
  return file
}

const script = executable(path.join(scratch, 'checkout/bin/run.js'), '#!/usr/bin/env node\n')
const runningNode = executable(path.join(scratch, 'node22/bin/node'))
const otherNode = executable(path.join(scratch, 'node20/bin/node'))

describe('elifeK8sExecCommand', () => {
  it("PATH's node is another Node: the running Node, with the bin script as its first argument", () => {
    const env = {PATH: [path.dirname(otherNode), path.dirname(runningNode)].join(path.delimiter)}
    expect(elifeK8sExecCommand(script, env, runningNode)).toEqual({command: runningNode, args: [script]})
  })

  it('no node on PATH at all: the running Node too', () => {
    expect(elifeK8sExecCommand(script, {PATH: path.join(scratch, 'empty')}, runningNode)).toEqual({command: runningNode, args: [script]})
  })

  it("PATH's node is the running Node (through a symlink too): the script, or `elife-k8s` when that on PATH is this install", () => {
    const linkDir = path.join(scratch, 'links')
    mkdirSync(linkDir, {recursive: true})
    symlinkSync(runningNode, path.join(linkDir, 'node'))
    expect(elifeK8sExecCommand(script, {PATH: linkDir}, runningNode)).toEqual({command: script, args: []})
    symlinkSync(script, path.join(linkDir, 'elife-k8s'))
    expect(elifeK8sExecCommand(script, {PATH: linkDir}, runningNode)).toEqual({command: 'elife-k8s', args: []})
  })

  it('the exec entry runs `<node> <script> token --cluster ...`', () => {
    const cluster = {
      name: 'elife-prod',
      arn: 'arn:aws:eks:us-east-1:123456789012:cluster/elife-prod',
      region: 'us-east-1',
      status: 'ACTIVE',
      endpoint: 'https://example',
      certificateAuthorityData: 'Y2E=',
    }
    const exec = elifeK8sExecCommand(script, {PATH: path.dirname(otherNode)}, runningNode)
    const entry = execConfig({cluster, authenticator: 'elife-k8s', elifeK8sCommand: exec.command, elifeK8sArgs: exec.args})
    expect([entry.command, ...entry.args]).toEqual([runningNode, script, 'token', '--cluster', 'elife-prod', '--region', 'us-east-1'])
  })
})
