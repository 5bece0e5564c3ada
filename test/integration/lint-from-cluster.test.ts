import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {createNamespace, deleteNamespace, kubeconfig, kubectl} from './helm-support.js'

// `lint --from-cluster`: custom resources validated against the CRDs the live cluster serves,
// for kinds the bundle lacks (a CRD of this test's own, installed in the local kube-apiserver),
// strictly, CEL rules included; without the flag lint knows nothing of the kind and says nothing.

const scratch = mkdtempSync(path.join(tmpdir(), 'elife-k8s-lint-from-cluster-'))
let ns = ''

const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.lint-from-cluster.example.org
spec:
  group: lint-from-cluster.example.org
  names: {kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              x-kubernetes-validations:
                - rule: self.size <= 10
                  message: size is at most 10
              properties:
                size: {type: integer}
                colour: {type: string, enum: [red, blue]}
`

const gadget = (spec: string) => `apiVersion: v1
kind: Namespace
metadata:
  name: NS
---
apiVersion: lint-from-cluster.example.org/v1
kind: Gadget
metadata:
  name: g
  namespace: NS
spec:
${spec}`

beforeAll(async () => {
  const file = path.join(scratch, 'crd.yaml')
  writeFileSync(file, crd)
  const applied = await kubectl(['apply', '--server-side', '-f', file])
  expect(applied.exitCode, applied.stderr).toBe(0)
  expect((await kubectl(['wait', '--for=condition=Established', 'crd/gadgets.lint-from-cluster.example.org', '--timeout=60s'])).exitCode).toBe(0)
  ns = await createNamespace('lint-from-cluster')
})

afterAll(async () => {
  await kubectl(['delete', '--ignore-not-found', '--wait=true', 'crd/gadgets.lint-from-cluster.example.org'])
  if (ns) await deleteNamespace(ns)
  rmSync(scratch, {recursive: true, force: true})
})

let counter = 0
function repo(yaml: string): string {
  const dir = path.join(scratch, `repo-${counter++}`)
  mkdirSync(dir)
  writeFileSync(path.join(dir, 'gadget.yaml'), yaml.replaceAll('NS', ns))
  return dir
}

async function applyVerdict(dir: string): Promise<number> {
  return (await kubectl(['apply', '--dry-run=server', '-f', path.join(dir, 'gadget.yaml')])).exitCode
}

describe('lint --from-cluster', () => {
  it("validates a kind the bundle lacks against the cluster's CRD, as the API server does", async () => {
    const bad = repo(gadget('  size: 12\n  colour: green\n  weight: 3\n'))
    expect(await applyVerdict(bad), 'the API server refuses it').not.toBe(0)
    const offline = await runCli(['lint', bad, '--rule', 'schema', '--format', 'json'], {env: {KUBECONFIG: kubeconfig}})
    expect(offline.exitCode, offline.stderr).toBe(0)

    const result = await runCli(['lint', bad, '--from-cluster', '--rule', 'schema', '--format', 'json'], {env: {KUBECONFIG: kubeconfig}})
    expect(result.exitCode, result.stderr).toBe(6)
    const findings = (JSON.parse(result.stdout) as {findings: Array<{line: number; message: string}>}).findings
    expect(findings.map((f) => `${f.line} ${f.message}`)).toEqual([
      '11 spec: size is at most 10',
      '13 spec.colour: must be one of "red", "blue"',
      '14 spec.weight: unknown field "weight" in spec',
    ])
    expect((JSON.parse(result.stdout) as {summary: {schemas: string[]}}).summary.schemas.at(-1)).toMatch(/^the cluster's \d+ CRDs$/)

    const good = repo(gadget('  size: 3\n  colour: red\n'))
    expect(await applyVerdict(good), 'the API server takes it').toBe(0)
    const clean = await runCli(['lint', good, '--from-cluster', '--rule', 'schema'], {env: {KUBECONFIG: kubeconfig}})
    expect(clean.exitCode, clean.stderr).toBe(0)
  })

  it('reads the cluster --kubeconfig and --context name; without --from-cluster they are refused, not ignored', async () => {
    const bad = repo(gadget('  size: 12\n  colour: red\n'))
    const context = (await kubectl(['config', 'current-context'])).stdout.trim()
    const named = ['--kubeconfig', kubeconfig, '--context', context, '--request-timeout', '20s']
    const result = await runCli(['lint', bad, '--from-cluster', '--rule', 'schema', '--format', 'json', ...named], {
      env: {KUBECONFIG: '/nonexistent/kubeconfig'},
    })
    expect(result.exitCode, result.stderr).toBe(6)
    expect((JSON.parse(result.stdout) as {findings: Array<{message: string}>}).findings.map((f) => f.message)).toEqual(['spec: size is at most 10'])

    for (const [flag, value] of [
      ['--kubeconfig', kubeconfig],
      ['--context', context],
      ['--request-timeout', '20s'],
    ]) {
      const refused = await runCli(['lint', bad, '--rule', 'schema', flag, value])
      expect(refused.exitCode, refused.stderr).toBe(2)
      expect(refused.stderr).toBe(
        `error: ${flag} is read only with --from-cluster: lint reads files and talks to no cluster; add --from-cluster to validate custom resources against that cluster, or drop the flag\n`,
      )
    }
  })
})
