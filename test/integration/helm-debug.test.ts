import {execFileSync} from 'node:child_process'
import {cpSync, createReadStream, existsSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse, stringify} from 'yaml'

import {ExitCode} from '../../src/lib/errors.js'
import {
  cli,
  clients,
  createHelmRelease,
  createNamespace,
  deleteNamespace,
  helm,
  helmEnv,
  installHelmReleaseCrds,
  kubeconfig,
  kubectl,
  prepareCharts,
  repoRoot,
  viewerKubeconfig,
} from './helm-support.js'

// `helm debug` fetches the chart the way helm-operator does, from a real git repository (a local
// bare repository over file://, cloned by the real git) and from a real chart repository (index.yaml
// and a .tgz made by `helm package`/`helm repo index`, served over HTTP by a tiny server in this
// test), and renders it with the real helm.
let ns: string
let gitUrl: string
let repoUrl: string
let server: Server
let work: string

const debug = (args: string[]) => cli(['helm', 'debug', ...args, '--kubeconfig', kubeconfig], helmEnv)

function helmReleaseYaml(name: string, spec: Record<string, unknown>): string {
  return stringify({apiVersion: 'helm.fluxcd.io/v1', kind: 'HelmRelease', metadata: {name, namespace: ns}, spec})
}

beforeAll(async () => {
  await installHelmReleaseCrds()
  ns = await createNamespace('helm-debug')
  work = mkdtempSync(path.join(tmpdir(), 'elife-k8s-debug-'))

  // A GitOps-style repository holding the charts, as a bare repository reachable over file://.
  const checkout = path.join(work, 'checkout')
  mkdirSync(path.join(checkout, 'charts'), {recursive: true})
  cpSync(path.join(repoRoot, 'test/fixtures/charts'), path.join(checkout, 'charts'), {recursive: true})
  const git = (args: string[], cwd = checkout) =>
    execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.org', ...args], {cwd, stdio: 'pipe'})
  git(['init', '--quiet', '-b', 'master'])
  git(['add', '.'])
  git(['commit', '--quiet', '-m', 'charts'])
  git(['clone', '--quiet', '--bare', checkout, path.join(work, 'charts.git')], work)
  gitUrl = `file://${path.join(work, 'charts.git')}`

  // A chart repository: `helm package` + `helm repo index`, served over HTTP.
  const chart = await prepareCharts()
  const repoDir = path.join(work, 'repo')
  mkdirSync(repoDir)
  expect((await helm(['package', chart, '--destination', repoDir])).exitCode).toBe(0)
  server = createServer((req, res) => {
    const file = path.join(repoDir, path.basename(req.url ?? '/'))
    if (!existsSync(file)) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200)
    createReadStream(file).pipe(res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  repoUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  expect((await helm(['repo', 'index', repoDir, '--url', repoUrl])).exitCode).toBe(0)
})

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve))
  await deleteNamespace(ns)
})

describe('helm debug', () => {
  it('git chart from a --file HelmRelease: renders, dependencies updated', async () => {
    const file = path.join(work, 'ok.yaml')
    writeFileSync(
      file,
      `---\n${helmReleaseYaml('journal', {releaseName: 'journal--stg', chart: {git: gitUrl, ref: 'master', path: 'charts/elife-app'}, values: {replicas: 3}})}`,
    )
    const result = await debug(['journal', '-n', ns, '--file', file, '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const parsed = JSON.parse(result.stdout)
    // values only with --show-values; the keys passed are always there
    expect(parsed.values).toBeUndefined()
    expect(parsed.valuePaths).toContain('replicas')
    expect(parsed.validation).toEqual({ran: true, accepted: 2, refused: []})
    expect(parsed).toMatchObject({
      ok: true,
      release: 'journal--stg',
      chart: {kind: 'git', url: gitUrl, ref: 'master', path: 'charts/elife-app'},
      dependencyUpdate: {ran: true, ok: true},
      template: {ran: true, ok: true, kinds: {ConfigMap: 1, Deployment: 1}},
    })
  })

  it('a chart that renders but that the API server would refuse (an invalid object name): named object by object; --no-validate skips the dry run', async () => {
    const file = path.join(work, 'rejected.yaml')
    writeFileSync(
      file,
      helmReleaseYaml('journal', {releaseName: 'journal--stg', chart: {git: gitUrl, ref: 'master', path: 'charts/elife-app'}, values: {configSuffix: '_Bad'}}),
    )
    // what the API server says to the same object, asked by kubectl
    const rendered = await helm(['template', 'journal--stg', await prepareCharts(), '-n', ns, '--set', 'configSuffix=_Bad'])
    expect(rendered.exitCode, rendered.stderr).toBe(0)
    const theirs = await kubectl(['apply', '--dry-run=server', '-n', ns, '-f', '-'], rendered.stdout)
    expect(theirs.exitCode).not.toBe(0)
    expect(theirs.stderr).toContain('ConfigMap "journal--stg-config_Bad" is invalid')

    const before = (await kubectl(['get', 'configmaps,deployments', '-n', ns, '-o', 'name'])).stdout
    const result = await debug(['journal', '-n', ns, '--file', file])
    expect(result.exitCode).toBe(ExitCode.CHECK_FAILED)
    // stdout is for data (the values, with --show-values): the report is on stderr
    expect(result.stdout).toBe('')
    expect(result.stderr).not.toContain('the chart and values are fine')
    expect(result.stderr).toContain('✗ the API server would refuse 1 of them (server-side dry run):')
    expect(result.stderr).toMatch(
      new RegExp(`  ConfigMap ${ns}/journal--stg-config_Bad: ConfigMap "journal--stg-config_Bad" is invalid: metadata.name: Invalid value`),
    )
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(
      /^error: the API server would refuse an object that the chart of HelmRelease helm-debug-\w+\/journal renders; fix the values/,
    )
    // a dry run: nothing was created
    expect((await kubectl(['get', 'configmaps,deployments', '-n', ns, '-o', 'name'])).stdout).toBe(before)
    const json = await debug(['journal', '-n', ns, '--file', file, '--json'])
    expect(json.exitCode).toBe(ExitCode.CHECK_FAILED)
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      validation: {ran: true, accepted: 1, refused: [{kind: 'ConfigMap', name: 'journal--stg-config_Bad', namespace: ns}]},
    })

    const skipped = await debug(['journal', '-n', ns, '--file', file, '--no-validate'])
    expect(skipped.exitCode, skipped.stderr).toBe(0)
    expect(skipped.stderr.trim().split('\n').at(-1)).toMatch(
      /^✔ helm template --debug renders 2 manifests \(1 ConfigMap, 1 Deployment\): the chart and values are fine/,
    )
  })

  it('--validate asked for, as a user RBAC forbids to dry-run: exit 4 (forbidden), not 5; without it, skipped with a note', async () => {
    const file = path.join(work, 'forbidden.yaml')
    writeFileSync(
      file,
      stringify({
        apiVersion: 'helm.fluxcd.io/v1',
        kind: 'HelmRelease',
        metadata: {name: 'journal', namespace: 'stg'},
        spec: {releaseName: 'journal--stg', chart: {git: gitUrl, ref: 'master', path: 'charts/elife-app'}},
      }),
    )
    // the viewer may only read pods in stg: the API server refuses the dry run (403)
    const asked = await cli(['helm', 'debug', 'journal', '-n', 'stg', '--file', file, '--validate', '--kubeconfig', viewerKubeconfig], helmEnv)
    expect(asked.exitCode).toBe(ExitCode.FORBIDDEN)
    const errors = asked.stderr.split('\n').filter((l) => l.startsWith('error:'))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/^error: not allowed to dry-run ConfigMap objects in stg \(403\)/)
    const defaulted = await cli(['helm', 'debug', 'journal', '-n', 'stg', '--file', file, '--kubeconfig', viewerKubeconfig], helmEnv)
    expect(defaulted.exitCode, defaulted.stderr).toBe(0)
    expect(defaulted.stderr).toMatch(/not allowed to dry-run ConfigMap objects in stg \(403\)/)
  })

  it("shows helm's error with the template line and the values it refers to, secrets redacted", async () => {
    const file = path.join(work, 'broken.yaml')
    writeFileSync(
      file,
      helmReleaseYaml('journal', {
        releaseName: 'journal--stg',
        chart: {git: gitUrl, ref: 'master', path: 'charts/elife-app'},
        values: {image: {tag: null}, database: {password: 'hunter2-correct-horse'}},
      }),
    )
    const result = await debug(['journal', '-n', ns, '--file', file, '--show-values'])
    expect(result.exitCode).toBe(ExitCode.CHECK_FAILED)
    expect(result.stderr).toContain('✗ helm template failed: execution error at (elife-app/templates/configmap.yaml:10:')
    expect(result.stderr).toContain('image.tag is required')
    expect(result.stderr).toContain('at elife-app/templates/configmap.yaml:10:  image: {{ printf')
    expect(result.stderr).toContain('    image.tag: null\n')
    expect(result.stderr).toContain('    image.repository: "elifesciences/journal" (chart default)\n')
    // the values (--show-values) are the data: YAML on stdout, secrets redacted
    expect(parse(result.stdout)).toMatchObject({image: {tag: null}, database: {password: '<redacted: 21 chars>'}})
    expect(result.stdout + result.stderr).not.toContain('hunter2')
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(
      /^error: the chart of HelmRelease helm-debug-\w+\/journal does not render with its values; fix the values/,
    )
  })

  it('chart repository source, HelmRelease from the cluster, values from a Secret', async () => {
    const {core} = clients()
    await core.createNamespacedSecret({
      namespace: ns,
      body: {metadata: {name: 'search-values'}, stringData: {'values.yaml': stringify({config: {environment: 'prod'}, image: {tag: 'from-secret'}})}},
    })
    await createHelmRelease('helm.fluxcd.io/v1', ns, 'search', {
      chart: {repository: `${repoUrl}/`, name: 'elife-app', version: '0.1.0'},
      valuesFrom: [{secretKeyRef: {name: 'search-values'}}],
      values: {replicas: 2},
    })
    const result = await debug(['search', '-n', ns, '--json', '--show-values'])
    expect(result.exitCode, result.stderr).toBe(0)
    const parsed = JSON.parse(result.stdout)
    expect(parsed).toMatchObject({
      ok: true,
      release: `${ns}-search`,
      chart: {kind: 'repository', name: 'elife-app', version: '0.1.0'},
      valuesSources: [
        {from: `Secret ${ns}/search-values[values.yaml]`, keys: 2},
        {from: 'spec.values', keys: 1},
      ],
      values: {config: {environment: 'prod'}, image: {tag: 'from-secret'}, replicas: 2},
      dependencyUpdate: {ran: false},
      template: {ok: true, manifests: 2},
    })
  })

  it('a chart repository URL with credentials in it: helm pulls with them; stderr and --json show them as ***', async () => {
    const withCredentials = repoUrl.replace('http://', 'http://deploy:S3CR3T-pw@')
    await createHelmRelease('helm.fluxcd.io/v1', ns, 'private', {chart: {repository: `${withCredentials}/`, name: 'elife-app', version: '0.1.0'}})
    const plain = await debug(['private', '-n', ns])
    expect(plain.exitCode, plain.stderr).toBe(0)
    expect(plain.stderr).toContain(`from ${repoUrl.replace('http://', 'http://deploy:***@')}/`)
    const json = await debug(['private', '-n', ns, '--json'])
    expect(json.exitCode, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout).chart.url).toBe(`${repoUrl.replace('http://', 'http://deploy:***@')}/`)
    await createHelmRelease('helm.fluxcd.io/v1', ns, 'private-gone', {chart: {repository: `${withCredentials}/`, name: 'elife-app', version: '9.9.9'}})
    const failed = await debug(['private-gone', '-n', ns])
    expect(failed.exitCode).toBe(ExitCode.TOOL_FAILED)
    for (const result of [plain, json, failed]) expect(result.stdout + result.stderr).not.toContain('S3CR3T')
  })

  it('a spec.chart.git starting with "-" is refused, never passed to git as an option', async () => {
    const marker = path.join(work, 'upload-pack-ran')
    await createHelmRelease('helm.fluxcd.io/v1', ns, 'dash', {chart: {git: `--upload-pack=touch ${marker};`, ref: 'master', path: 'charts/elife-app'}})
    const result = await debug(['dash', '-n', ns])
    expect(result.exitCode, result.stderr).toBe(ExitCode.USAGE)
    expect(result.stderr.trim().split('\n')).toEqual([
      'error: spec.chart.git starts with "-", so it is not a Git URL or ref (not passed to git); fix spec.chart.git in the HelmRelease',
    ])
    expect(existsSync(marker)).toBe(false)
  })

  it('Flux v2: chart from the HelmRepository the HelmRelease names, values from a Secret key at a targetPath', async () => {
    const {core, custom} = clients()
    await custom.createNamespacedCustomObject({
      group: 'source.toolkit.fluxcd.io',
      version: 'v1',
      namespace: ns,
      plural: 'helmrepositories',
      body: {apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: {name: 'elife'}, spec: {url: `${repoUrl}/`, interval: '10m'}},
    })
    await core.createNamespacedSecret({namespace: ns, body: {metadata: {name: 'recommendations-tag'}, stringData: {tag: 'from-target-path'}}})
    await createHelmRelease('helm.toolkit.fluxcd.io/v2', ns, 'recommendations', {
      interval: '5m',
      chart: {spec: {chart: 'elife-app', version: '0.1.x', sourceRef: {kind: 'HelmRepository', name: 'elife'}}},
      valuesFrom: [{kind: 'Secret', name: 'recommendations-tag', valuesKey: 'tag', targetPath: 'image.tag'}],
      values: {replicas: 4},
    })
    const result = await debug(['recommendations', '-n', ns, '--json', '--show-values'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: true,
      // Flux v2 names the release after the HelmRelease, in its namespace.
      release: 'recommendations',
      namespace: ns,
      chart: {kind: 'repository', name: 'elife-app', version: '0.1.x'},
      valuesSources: [
        {from: `Secret ${ns}/recommendations-tag[tag]`, keys: 1},
        {from: 'spec.values', keys: 1},
      ],
      values: {image: {tag: 'from-target-path'}, replicas: 4},
      template: {ok: true, manifests: 2},
    })
  })

  it('Flux v2: chart from the GitRepository the HelmRelease names, at its branch', async () => {
    const {custom} = clients()
    await custom.createNamespacedCustomObject({
      group: 'source.toolkit.fluxcd.io',
      version: 'v1',
      namespace: ns,
      plural: 'gitrepositories',
      body: {
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'GitRepository',
        metadata: {name: 'charts'},
        spec: {url: gitUrl, ref: {branch: 'master'}, interval: '1m'},
      },
    })
    await createHelmRelease('helm.toolkit.fluxcd.io/v2', ns, 'annotations', {
      interval: '5m',
      targetNamespace: 'stg',
      chart: {spec: {chart: 'charts/elife-app', sourceRef: {kind: 'GitRepository', name: 'charts'}}},
    })
    const result = await debug(['annotations', '-n', ns, '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: true,
      release: 'stg-annotations',
      chart: {kind: 'git', url: gitUrl, ref: 'master', path: 'charts/elife-app'},
      dependencyUpdate: {ran: true, ok: true},
      template: {ok: true},
    })
  })

  it("takes the helm release's name too, and says which HelmRelease it resolved; a release no HelmRelease manages says so", async () => {
    // `search` (helm-operator, no releaseName) manages helm release <ns>-search (the test above made it)
    const byRelease = await debug([`${ns}-search`, '-n', ns, '--no-validate'])
    expect(byRelease.exitCode, byRelease.stderr).toBe(0)
    expect(byRelease.stderr.split('\n')[0]).toBe(`helm release ${ns}-search in ${ns} → HelmRelease ${ns}/search`)
    const json = await debug([`${ns}-search`, '-n', ns, '--no-validate', '--json'])
    expect(JSON.parse(json.stdout)).toMatchObject({helmRelease: {name: 'search', namespace: ns}, release: `${ns}-search`})
    // in a file, the same
    const file = path.join(work, 'by-release.yaml')
    writeFileSync(file, helmReleaseYaml('journal', {releaseName: 'journal--stg', chart: {git: gitUrl, ref: 'master', path: 'charts/elife-app'}}))
    const fromFile = await debug(['journal--stg', '-n', ns, '--file', file, '--no-validate'])
    expect(fromFile.exitCode, fromFile.stderr).toBe(0)
    expect(fromFile.stderr).toContain(`helm release journal--stg → HelmRelease ${ns}/journal (in ${file})`)
    // a helm release nobody manages: one line that says what the name is
    expect((await helm(['install', 'orphan', await prepareCharts(), '-n', ns])).exitCode).toBe(0)
    const orphan = await debug(['orphan', '-n', ns])
    expect(orphan.exitCode).toBe(ExitCode.NOT_FOUND)
    expect(orphan.stderr.trim().split('\n')).toEqual([
      `error: "orphan" is a helm release in ${ns}, but no HelmRelease manages it (and there is no HelmRelease of that name); debug renders a HelmRelease's chart with its values: pass --file with the HelmRelease YAML from the GitOps repo`,
    ])
  })

  it.each([
    ['a HelmRelease that does not exist', ['nope'], ExitCode.NOT_FOUND, /^error: HelmRelease "nope" not found in namespace "helm-debug-\w+"/],
    [
      'a Flux v2 HelmRelease whose HelmRepository does not exist',
      ['podinfo'],
      ExitCode.NOT_FOUND,
      /^error: HelmRepository helm-debug-\w+\/podinfo, the chart source of HelmRelease helm-debug-\w+\/podinfo, was not found/,
    ],
    ['a chart version that is not in the repository', ['gone'], ExitCode.TOOL_FAILED, /^error: helm could not pull chart elife-app 9.9.9 from/],
  ])('%s: one clear line', async (_what, args, exitCode, message) => {
    await createHelmRelease('helm.toolkit.fluxcd.io/v2', ns, 'podinfo', {
      chart: {spec: {chart: 'podinfo', sourceRef: {kind: 'HelmRepository', name: 'podinfo'}}},
    }).catch(() => undefined)
    await createHelmRelease('helm.fluxcd.io/v1', ns, 'gone', {chart: {repository: `${repoUrl}/`, name: 'elife-app', version: '9.9.9'}}).catch(() => undefined)
    const result = await debug([...args, '-n', ns])
    expect(result.exitCode).toBe(exitCode)
    expect(result.stderr.split('\n').filter((l) => l.startsWith('error:'))).toHaveLength(1)
    expect(result.stderr.split('\n').find((l) => l.startsWith('error:'))).toMatch(message)
  })
})
