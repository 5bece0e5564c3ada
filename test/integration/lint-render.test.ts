import {execFileSync} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, inject, it} from 'vitest'
import {parseAllDocuments} from 'yaml'

import {runCli, runTool, spawnCli, type RunResult} from '../helpers/cli.js'
import {gitopsFixture, scratchRepos, treeDigest} from '../helpers/repos.js'

// Rule 9 of `elife-k8s lint` (issue 17): HelmReleases rendered by the real helm, the rendered
// objects linted with the same rules. The fixture repository keeps a chart (charts/journal) that a
// helm-operator HelmRelease (stg, spec.chart.git naming this repository) and a Flux v2 one (prod,
// through the GitRepository its Kustomizations read) install. No cluster is needed; the
// integration project provides the helm binary that matches the local cluster.

const binDir: string = inject('binDir') || `${process.env.ELIFE_K8S_TEST_BIN}`
const helmBin = path.join(binDir, 'helm')
const fixture = gitopsFixture
const repos = scratchRepos('elife-k8s-lint-render-')
const scratch = repos.dir
// helm's caches in a scratch HOME: the user's cache must not decide what renders offline.
const helmEnv = {
  HELM_CACHE_HOME: path.join(scratch, 'helm-cache'),
  HELM_CONFIG_HOME: path.join(scratch, 'helm-config'),
  HELM_DATA_HOME: path.join(scratch, 'helm-data'),
}

const lint = (args: string[]): Promise<RunResult> => runCli(['lint', ...args], {env: {ELIFE_K8S_HELM: helmBin, ...helmEnv}, timeoutMs: 240_000})
const helm = (args: string[], input?: string): Promise<RunResult> => runTool(helmBin, args, {env: helmEnv, input})

interface Json {
  findings: Array<{rule: string; severity: string; message: string; file: string; line: number; rendered?: {helmRelease: string; template: string}}>
  summary: {objects: number; renderedObjects: number; errors: number; warnings: number}
  rendering: {
    helm: string
    rendered: Array<{helmRelease: string; chart: string; objects: Array<{kind: string; namespace?: string; name: string; template: string}>}>
    skipped: Array<{helmRelease: string; reason: string}>
  }
}

async function lintJson(dir: string, extra: string[] = []): Promise<{result: RunResult; json: Json}> {
  const result = await lint([dir, '--json', ...extra])
  return {result, json: JSON.parse(result.stdout) as Json}
}

/** `helm template` of the same release by hand: Kind/name of each object. */
async function helmTemplate(release: string, chart: string, namespace: string, values: string): Promise<string[]> {
  const rendered = await helm(['template', release, chart, '--namespace', namespace, '-f', '-'], values)
  expect(rendered.exitCode, rendered.stderr).toBe(0)
  return parseAllDocuments(rendered.stdout)
    .map((doc) => doc.toJS() as {kind?: string; metadata?: {name?: string}} | null)
    .filter((object): object is {kind: string; metadata: {name: string}} => Boolean(object?.kind))
    .map((object) => `${object.kind}/${object.metadata.name}`)
}

const canary = (target: string) => `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: journal
  namespace: stg
spec:
  provider: nginx
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: ${target}
  service:
    port: 80
  analysis:
    interval: 1m
    threshold: 2
    iterations: 5
`

describe('lint renders HelmReleases with the real helm (rule 9)', () => {
  it('renders the charts kept in the repository, as `helm template` does, and the clean repository stays clean', async () => {
    const before = treeDigest(fixture)
    const text = await lint([fixture])
    expect(text).toMatchObject({exitCode: 0, stdout: ''})
    expect(text.stderr).toBe(
      "◎ rendered 2 HelmReleases; not rendered: 5 HelmReleases (adm/flagger, adm/ingress-nginx, adm/prometheus-operator and 2 more): their charts are not in this repository nor in helm's cache (--online fetches them)\n" +
        '✔ no problems in 15 files, 36 objects (4 rendered by helm), 1 template\n',
    )
    const {json} = await lintJson(fixture)
    expect(json.rendering.helm).toMatch(/^v3\./)
    expect(json.rendering.rendered.map((release) => [release.helmRelease, release.chart])).toEqual([
      ['prod/journal', 'charts/journal'],
      ['stg/journal', 'charts/journal'],
    ])
    // The same objects as helm template with the same release name, namespace and values.
    const chart = path.join(fixture, 'charts/journal')
    const byHand = {
      'stg/journal': await helmTemplate('journal--stg', chart, 'stg', 'replicaCount: 2\nimage:\n  tag: 5f0e1d2\n'),
      'prod/journal': await helmTemplate('journal', chart, 'prod', 'replicaCount: 3\nmode: worker\nimage:\n  tag: 4e3d2c1\n'),
    }
    for (const release of json.rendering.rendered) {
      expect(release.objects.map((object) => `${object.kind}/${object.name}`)).toEqual(byHand[release.helmRelease as keyof typeof byHand])
      for (const object of release.objects) expect(object.namespace).toBe(release.helmRelease.split('/')[0])
    }
    expect(byHand['stg/journal']).toEqual(['Service/journal--stg', 'Deployment/journal--stg'])
    expect(json.rendering.skipped.map((release) => release.helmRelease)).toEqual([
      'adm/flagger',
      'adm/ingress-nginx',
      'adm/prometheus-operator',
      'flux-system/podinfo',
      'prod/libero-reviewer-submission',
    ])
    // Read-only: nothing in the repository changed (no charts/ or Chart.lock written).
    expect(treeDigest(fixture)).toBe(before)
  })

  it('flagger-target-rendered: a Canary whose targetRef is not the name the chart renders', async () => {
    const wrong = repos.copy([{file: 'releases/stg/journal-canary.yaml', write: canary('journal')}])
    const {result, json} = await lintJson(wrong)
    expect(result.exitCode).toBe(6)
    expect(json.findings.map((f) => [f.rule, f.severity, path.relative(wrong, f.file), f.line, f.message])).toEqual([
      [
        'flagger-target-rendered',
        'error',
        'releases/stg/journal-canary.yaml',
        11,
        'targetRef names Deployment "journal" in stg, but the charts installing there render Deployment "journal--stg" (HelmRelease stg/journal)',
      ],
    ])
    // Without rendering, lint can only guess: the old warning that a chart may make it.
    const unrendered = await lintJson(wrong, ['--skip-rule', 'helm-render,flagger-target-rendered'])
    expect(unrendered.result.exitCode).toBe(0)
    expect(unrendered.json.findings.map((f) => f.rule)).toEqual(['flagger-ref-outside-repo'])
    // The rendered name: clean.
    const right = repos.copy([{file: 'releases/stg/journal-canary.yaml', write: canary('journal--stg')}])
    const clean = await lintJson(right)
    expect(clean.result.exitCode).toBe(0)
    expect(clean.json.findings).toEqual([])
  })

  it('lints the rendered objects with the same rules, at the HelmRelease, naming the template', async () => {
    const dir = repos.copy([{file: 'releases/stg/journal.yaml', from: '    replicaCount: 2\n', to: '    replicaCount: two\n'}])
    const {result, json} = await lintJson(dir)
    expect(result.exitCode).toBe(6)
    expect(json.findings.map((f) => [f.rule, path.relative(dir, f.file), f.line, f.message, f.rendered])).toEqual([
      [
        'schema',
        'releases/stg/journal.yaml',
        2,
        expect.stringMatching(/^spec\.replicas: .*\(rendered by helm from journal\/templates\/deployment\.yaml of HelmRelease stg\/journal\)$/),
        {helmRelease: 'stg/journal', template: 'journal/templates/deployment.yaml'},
      ],
    ])
  })

  it("object-validation: a rendered name the API server refuses, reported at the HelmRelease; the HelmRelease's ignore comment silences it", async () => {
    const edit = {file: 'releases/stg/journal.yaml', from: '    replicaCount: 2\n', to: '    replicaCount: 2\n    fullnameOverride: Journal-Web\n'}
    const dir = repos.copy([edit])
    const {result, json} = await lintJson(dir)
    expect(result.exitCode).toBe(6)
    expect(json.findings.map((f) => [f.rule, path.relative(dir, f.file), f.line, f.message, f.rendered?.template])).toEqual([
      [
        'object-validation',
        'releases/stg/journal.yaml',
        2,
        expect.stringMatching(
          /^metadata\.name "Journal-Web" must be a lowercase RFC 1123 subdomain.* \(for a Deployment\) \(rendered by helm from journal\/templates\/deployment\.yaml of HelmRelease stg\/journal\)$/,
        ),
        'journal/templates/deployment.yaml',
      ],
      [
        'object-validation',
        'releases/stg/journal.yaml',
        2,
        expect.stringMatching(
          /^metadata\.name "Journal-Web" must be an RFC 1035 label.* \(for a Service\) \(rendered by helm from journal\/templates\/service\.yaml of HelmRelease stg\/journal\)$/,
        ),
        'journal/templates/service.yaml',
      ],
    ])
    const ignored = repos.copy([
      edit,
      {
        file: 'releases/stg/journal.yaml',
        from: 'apiVersion: helm.fluxcd.io/v1\n',
        to: '# elife-k8s:ignore object-validation the chart renames it\napiVersion: helm.fluxcd.io/v1\n',
      },
    ])
    const silenced = await lintJson(ignored)
    expect(silenced.result.exitCode).toBe(0)
    expect(silenced.json.findings).toEqual([])
    expect(silenced.json.summary).toMatchObject({errors: 0, suppressed: 2})
  })

  it("helm-render: a chart that fails with the release's values, helm's message without the value", async () => {
    const secret = 'Xq7-zz-PLEASE-NEVER-PRINT-9'
    const dir = repos.copy([{file: 'releases/stg/journal.yaml', from: '    replicaCount: 2\n', to: `    replicaCount: 2\n    mode: ${secret}\n`}])
    for (const format of [[], ['--json'], ['--format', 'github']]) {
      const result = await lint([dir, ...format])
      expect(result.exitCode).toBe(6)
      expect(result.stdout + result.stderr).not.toContain(secret)
      expect(result.stdout).toContain(
        'helm template failed for HelmRelease stg/journal: execution error at (journal/templates/deployment.yaml:2:4): mode <value> is not one of web, worker',
      )
    }
    const {json} = await lintJson(dir)
    expect(json.findings.map((f) => [f.rule, path.relative(dir, f.file)])).toEqual([['helm-render', 'releases/stg/journal.yaml']])
  })

  it('helm-render: a chart path in the repository with no chart', async () => {
    const dir = repos.copy([{file: 'releases/stg/journal.yaml', from: 'path: charts/journal', to: 'path: charts/jornal'}])
    const {result, json} = await lintJson(dir)
    expect(result.exitCode).toBe(6)
    expect(json.findings.map((f) => [f.rule, path.relative(dir, f.file), f.line, f.message])).toEqual([
      [
        'helm-render',
        'releases/stg/journal.yaml',
        12,
        "HelmRelease stg/journal: the chart is this repository's charts/jornal, but there is no Chart.yaml there",
      ],
    ])
  })

  it("renders a chart from helm's download cache offline; one from another Git repository only with --online", async () => {
    // helm's cache: what `helm pull`/`helm install --repo` left there (name-version.tgz).
    const cache = path.join(helmEnv.HELM_CACHE_HOME, 'repository')
    mkdirSync(cache, {recursive: true})
    expect((await helm(['package', path.join(fixture, 'charts/journal'), '--destination', cache])).exitCode).toBe(0)
    // Another Git repository holding the chart (file://: real git, no network).
    const other = path.join(scratch, 'other-repo')
    cpSync(path.join(fixture, 'charts/journal'), path.join(other, 'helm/journal'), {recursive: true})
    const git = (args: string[]) =>
      execFileSync('git', args, {
        cwd: other,
        env: {...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.org'},
      })
    git(['init', '--quiet', '-b', 'master'])
    git(['add', '.'])
    git(['commit', '--quiet', '-m', 'chart'])
    // A repository of its own: the fixture's remote charts would be fetched for real under --online.
    const dir = repos.write({
      'namespaces.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: adm\n',
      'cached.yaml':
        'apiVersion: helm.fluxcd.io/v1\nkind: HelmRelease\nmetadata:\n  name: cached\n  namespace: adm\nspec:\n  releaseName: cached\n  chart:\n    repository: https://charts.example.invalid/\n    name: journal\n    version: 0.1.0\n',
      'elsewhere.yaml': `apiVersion: helm.fluxcd.io/v1\nkind: HelmRelease\nmetadata:\n  name: elsewhere\n  namespace: adm\nspec:\n  releaseName: elsewhere\n  chart:\n    git: file://${other}\n    ref: master\n    path: helm/journal\n`,
    })
    const offline = await lintJson(dir)
    expect(offline.result.exitCode).toBe(0)
    expect(offline.json.rendering.rendered.map((release) => release.helmRelease)).toEqual(['adm/cached'])
    expect(offline.json.rendering.rendered[0].objects.map((object) => `${object.kind}/${object.name}`)).toEqual([
      'Service/cached-journal',
      'Deployment/cached-journal',
    ])
    expect(offline.json.rendering.skipped.map((release) => release.reason)).toEqual([
      `its chart (helm/journal of file://${other}) is not in this repository nor in helm's cache; --online fetches it`,
    ])
    const online = await lintJson(dir, ['--online'])
    expect(online.result.exitCode).toBe(0)
    expect(online.json.rendering.rendered.map((release) => release.helmRelease)).toEqual(['adm/cached', 'adm/elsewhere'])
    expect(online.json.rendering.skipped).toEqual([])
    expect(online.json.rendering.rendered[1].objects.map((object) => `${object.kind}/${object.name}`)).toEqual([
      'Service/elsewhere-journal',
      'Deployment/elsewhere-journal',
    ])
  })

  // Ctrl-C while helm renders: no new helm process is started, the scratch directory of checkouts
  // is removed, and the run ends with the interruption's line (exit 130), not with findings.
  // The helm here is the real one behind a wrapper that waits 2 s first, so that the signal comes
  // while the first renders are in flight; both ways (fast path and oclif).
  for (const fastPath of ['1', '0']) {
    it(`Ctrl-C while helm renders: exit 130, one line, nothing left in TMPDIR (ELIFE_K8S_FAST_PATH=${fastPath})`, async () => {
      const wrapper = path.join(scratch, 'slow-helm')
      writeFileSync(wrapper, `#!/bin/sh\nsleep 2\nexec '${helmBin}' "$@"\n`, {mode: 0o755})
      const tmp = mkdtempSync(path.join(scratch, 'tmp-'))
      // More releases than helm processes run at once: the charts of the fixture, 40 times.
      const dir = repos.copy()
      for (let i = 0; i < 40; i++)
        writeFileSync(
          path.join(dir, `copy-${i}.yaml`),
          `apiVersion: helm.fluxcd.io/v1\nkind: HelmRelease\nmetadata:\n  name: copy-${i}\n  namespace: stg\nspec:\n  releaseName: copy-${i}\n  chart:\n    git: git@github.com:elifesciences/elife-flux-cluster\n    ref: master\n    path: charts/journal\n`,
        )
      const child = spawnCli(['lint', dir], {env: {ELIFE_K8S_HELM: wrapper, TMPDIR: tmp, ELIFE_K8S_FAST_PATH: fastPath, ...helmEnv}})
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      await new Promise((resolve) => setTimeout(resolve, 1000))
      child.kill('SIGINT')
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
      expect({code, stderr}).toEqual({code: 130, stderr: 'error: interrupted by SIGINT: stopped at a safe point; nothing was changed\n'})
      expect(stdout).toBe('')
      expect(readdirSync(tmp)).toEqual([])
    }, 60_000)
  }
})
