import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import net, {type AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ExitCode} from '../../src/lib/errors.js'
import {runCli} from '../helpers/cli.js'
import {writeKubeconfig} from '../helpers/kubeconfig.js'
import {createNamespace, deleteNamespace, kubeconfig, kubectl, viewerKubeconfig} from './helm-support.js'

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
                since: {type: string, format: date-time}
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
  await kubectl(['delete', '--ignore-not-found', '--wait=true', 'crd/gadgets.lint-from-cluster.example.org', `crd/${sealedSecretsCrd}`])
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

// A kind lint also bundles (sealed-secrets v0.40.0's SealedSecret, bitnami.com/v1alpha1), served by
// the local cluster with a schema of this test's own: no `template` (the bundle has one), and a
// `rotation` field the bundle lacks. No other test file installs or uses this CRD.
const sealedSecretsCrd = 'sealedsecrets.bitnami.com'
const clusterSealedSecret = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${sealedSecretsCrd}
spec:
  group: bitnami.com
  names: {kind: SealedSecret, listKind: SealedSecretList, plural: sealedsecrets, singular: sealedsecret}
  scope: Namespaced
  versions:
    - name: v1alpha1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [encryptedData]
              properties:
                encryptedData: {type: object, additionalProperties: {type: string}}
                rotation: {type: string, enum: [weekly, monthly]}
`

const sealedSecret = (extra: string) => `apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: s
  namespace: NS
spec:
  encryptedData:
    password: AgBy3i4OJSWK
${extra}`

/** A kubeconfig for a loopback port nothing listens on (a port just opened and closed again). */
async function closedPortKubeconfig(): Promise<{file: string; server: string}> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  const url = `https://127.0.0.1:${port}`
  return {file: writeKubeconfig(path.join(scratch, 'kubeconfig-closed'), url, {name: 'closed'}), server: url}
}

/** A TLS-less loopback server that accepts connections and never answers (as test/integration/hung-server.test.ts). */
async function hungServer(): Promise<{url: string; close(): void}> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      for (const socket of sockets) socket.destroy()
      server.close()
    },
  }
}

/** One line on stderr, no stack trace, nothing on stdout (no findings as if the run had been complete). */
function expectOneLine(result: {exitCode: number; stdout: string; stderr: string}, exitCode: number): string {
  expect(result.exitCode, result.stderr).toBe(exitCode)
  expect(result.stdout).toBe('')
  const lines = result.stderr.trim().split('\n')
  expect(lines, result.stderr).toHaveLength(1)
  expect(result.stderr).not.toMatch(/\bat .*\.[cm]?js:\d+/)
  return lines[0]
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

  it("the cluster's version of a kind the bundle also has wins: its verdict with --from-cluster, the bundle's without", async () => {
    const file = path.join(scratch, 'sealed-secret-crd.yaml')
    writeFileSync(file, clusterSealedSecret)
    const applied = await kubectl(['apply', '--server-side', '-f', file])
    expect(applied.exitCode, applied.stderr).toBe(0)
    expect((await kubectl(['wait', '--for=condition=Established', `crd/${sealedSecretsCrd}`, '--timeout=60s'])).exitCode).toBe(0)

    // Valid under the bundled CRD, refused by the cluster's: `template` is not in the cluster's schema.
    const bundleOnly = repo(sealedSecret('  template:\n    type: Opaque\n'))
    // Valid under the cluster's CRD, refused by the bundled one: `rotation` is the cluster's alone.
    const clusterOnly = repo(sealedSecret('  rotation: weekly\n'))
    expect(await applyVerdict(bundleOnly), 'the API server refuses template').not.toBe(0)
    expect(await applyVerdict(clusterOnly), 'the API server takes rotation').toBe(0)

    const lint = async (dir: string, fromCluster: boolean) => {
      const result = await runCli(['lint', dir, '--rule', 'schema', '--format', 'json', ...(fromCluster ? ['--from-cluster'] : [])], {
        env: {KUBECONFIG: kubeconfig},
      })
      const findings = (JSON.parse(result.stdout) as {findings: Array<{message: string}>}).findings.map((f) => f.message)
      return {exitCode: result.exitCode, findings, stderr: result.stderr}
    }

    const withCluster = [await lint(bundleOnly, true), await lint(clusterOnly, true)]
    expect(withCluster[0].findings, withCluster[0].stderr).toEqual(['spec.template: unknown field "template" in spec'])
    expect(withCluster[0].exitCode).toBe(ExitCode.CHECK_FAILED)
    expect(withCluster[1].findings, withCluster[1].stderr).toEqual([])
    expect(withCluster[1].exitCode).toBe(0)

    const bundled = [await lint(bundleOnly, false), await lint(clusterOnly, false)]
    expect(bundled[0].findings, bundled[0].stderr).toEqual([])
    expect(bundled[0].exitCode).toBe(0)
    expect(bundled[1].findings, bundled[1].stderr).toEqual(['spec.rotation: unknown field "rotation" in spec'])
    expect(bundled[1].exitCode).toBe(ExitCode.CHECK_FAILED)
  })

  it('a cluster that cannot be reached: one line naming it and --from-cluster, exit 5, no findings', async () => {
    const closed = await closedPortKubeconfig()
    const bad = repo(gadget('  size: 12\n'))
    for (const json of [false, true]) {
      const result = await runCli(['lint', bad, '--from-cluster', '--kubeconfig', closed.file, ...(json ? ['--json'] : [])], {env: {KUBECONFIG: ''}})
      if (json) {
        expect(result.exitCode, result.stderr).toBe(ExitCode.UNREACHABLE)
        expect(JSON.parse(result.stdout)).toMatchObject({error: {kind: 'unreachable', exitCode: ExitCode.UNREACHABLE}})
        continue
      }
      expect(expectOneLine(result, ExitCode.UNREACHABLE)).toBe(
        `error: cannot read the cluster's CRDs for --from-cluster: the API server ${closed.server} is unreachable (ECONNREFUSED); ` +
          'check the network/VPN and that the cluster is up, or pick another --context; without --from-cluster, lint checks against its bundled schemas only',
      )
    }
  })

  it('a server that accepts and never answers: the same, within --request-timeout', async () => {
    const hung = await hungServer()
    try {
      const file = writeKubeconfig(path.join(scratch, 'kubeconfig-hung'), hung.url, {name: 'hung'})
      // runCli kills the run after 15s: far beyond a 2s --request-timeout, far short of forever.
      const result = await runCli(['lint', repo(gadget('  size: 12\n')), '--from-cluster', '--kubeconfig', file, '--request-timeout', '2s'], {
        env: {KUBECONFIG: ''},
        timeoutMs: 15_000,
      })
      const line = expectOneLine(result, ExitCode.UNREACHABLE)
      expect(line).toMatch(
        new RegExp(`^error: cannot read the cluster's CRDs for --from-cluster: the API server ${hung.url} did not complete the TLS handshake within 2s;`),
      )
      expect(line).toContain('--request-timeout sets how long to wait')
      expect(line).toMatch(/without --from-cluster, lint checks against its bundled schemas only$/)
    } finally {
      hung.close()
    }
  })

  it('a user RBAC forbids to list CRDs: one line, exit 4, not a silent fallback to the bundle', async () => {
    // The user asked for the cluster's CRDs: as kubectl's --validate, lint fails rather than
    // judging with schemas the user did not ask for.
    const bad = repo(gadget('  size: 12\n'))
    const result = await runCli(['lint', bad, '--from-cluster', '--kubeconfig', viewerKubeconfig], {env: {KUBECONFIG: ''}})
    expect(expectOneLine(result, ExitCode.FORBIDDEN)).toBe(
      `error: cannot read the cluster's CRDs for --from-cluster: customresourcedefinitions.apiextensions.k8s.io is forbidden: User "viewer" cannot list resource "customresourcedefinitions" in API group "apiextensions.k8s.io" at the cluster scope; ` +
        'ask a cluster admin for that permission, or use a context that has it; without --from-cluster, lint checks against its bundled schemas only',
    )
    const json = await runCli(['lint', bad, '--from-cluster', '--kubeconfig', viewerKubeconfig, '--json'], {env: {KUBECONFIG: ''}})
    expect(json.exitCode, json.stderr).toBe(ExitCode.FORBIDDEN)
    expect(JSON.parse(json.stdout)).toMatchObject({error: {kind: 'forbidden', exitCode: ExitCode.FORBIDDEN}})
  })

  it("checks a CRD's date-time and integers as the API server does for custom resources", async () => {
    // kube-openapi's date-time for custom resources: t and z in either case, a zone, a real day;
    // integers beyond int64 (1e30 is a whole number to JSON Schema) are "must be of type integer".
    const cases: Array<[string, 'valid' | 'invalid', string[]]> = [
      ['  since: "2024-01-31T09:30:00.5+01:00"\n', 'valid', []],
      ['  since: "2024-01-31t09:30:00z"\n', 'valid', []],
      [
        '  since: "2024-01-31 09:30:00Z"\n',
        'invalid',
        ['spec.since: must be a time as RFC 3339 writes it, such as 2024-01-31T09:30:00Z (a calendar day, T, a zone Z or +01:00)'],
      ],
      [
        '  since: "2024-02-30T09:30:00Z"\n',
        'invalid',
        ['spec.since: must be a time as RFC 3339 writes it, such as 2024-01-31T09:30:00Z (a calendar day, T, a zone Z or +01:00)'],
      ],
      [
        '  since: yesterday\n',
        'invalid',
        ['spec.since: must be a time as RFC 3339 writes it, such as 2024-01-31T09:30:00Z (a calendar day, T, a zone Z or +01:00)'],
      ],
      ['  size: -1e30\n', 'invalid', ['spec.size: must fit in a 64-bit integer (int64)']],
    ]
    for (const [spec, api, messages] of cases) {
      const dir = repo(gadget(spec.startsWith('  size') ? spec : `  size: 3\n${spec}`))
      expect(await applyVerdict(dir), `the API server on ${spec.trim()}`).toBe(api === 'valid' ? 0 : 1)
      const result = await runCli(['lint', dir, '--from-cluster', '--rule', 'schema', '--format', 'json'], {env: {KUBECONFIG: kubeconfig}})
      expect(result.exitCode, `${spec.trim()}: ${result.stderr}`).toBe(api === 'valid' ? 0 : ExitCode.CHECK_FAILED)
      expect(
        (JSON.parse(result.stdout) as {findings: Array<{message: string}>}).findings.map((f) => f.message),
        spec.trim(),
      ).toEqual(messages)
    }
  })
})
