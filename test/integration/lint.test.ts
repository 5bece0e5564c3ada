import {mkdirSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'

import {beforeAll, describe, expect, inject, it} from 'vitest'

import {bundledSchemas, lintRepository} from '../../src/lib/lint/lint.js'
import {repoRoot, runCli, type RunResult} from '../helpers/cli.js'
import {gitopsFixture, scratchRepos, treeDigest} from '../helpers/repos.js'

// `elife-k8s lint` as a user runs it: the built CLI in its own process, on the fixture
// repository (clean) and on a copy broken in three ways. No cluster, no network.

const fixture = gitopsFixture
// The helm that renders the charts kept in the fixture (rule 9; test/integration/lint-render.test.ts).
const helmEnv = {ELIFE_K8S_HELM: path.join(inject('binDir') || `${process.env.ELIFE_K8S_TEST_BIN}`, 'helm')}
const lint = (args: string[]): Promise<RunResult> => runCli(args, {env: helmEnv})
const notRendered =
  "◎ rendered 2 HelmReleases; not rendered: 5 HelmReleases (adm/flagger, adm/ingress-nginx, adm/prometheus-operator and 2 more): their charts are not in this repository nor in helm's cache (--online fetches them)\n"
const repos = scratchRepos('elife-k8s-lint-cli-')
const scratch = repos.dir
const broken = path.join(scratch, 'repo')

beforeAll(() => {
  repos.copy(
    [
      {file: 'releases/stg/reviewer.yaml', from: 'interval: 2m', to: 'interval: 30s'},
      {file: 'releases/prod/reviewer.yaml', from: 'rd=https%3A%2F%2F$host$request_uri', to: 'rd=https://$host$request_uri'},
      {file: 'releases/prod/values.yaml', write: 'replicaCount: 2\n'},
      // A warning only: a Service that is not in the repository.
      {file: 'releases/stg/reviewer.yaml', from: '      name: reviewer\n      port:', to: '      name: reviewer-web\n      port:'},
    ],
    {to: broken},
  )
})

describe('elife-k8s lint', () => {
  it('says nothing on stdout and exits 0 on the clean repository', async () => {
    const before = treeDigest(fixture)
    const result = await lint(['lint', fixture])
    expect(result).toMatchObject({exitCode: 0, stdout: ''})
    expect(result.stderr).toBe(`${notRendered}✔ no problems in 15 files, 36 objects (4 rendered by helm), 1 template\n`)
    expect(treeDigest(fixture)).toBe(before)
  })

  it('prints path:line:col  severity  rule  message per finding, grouped by file, and exits 6 on errors', async () => {
    const before = treeDigest(broken)
    const result = await lint(['lint', broken])
    expect(result.exitCode).toBe(6)
    const findingLines = result.stdout.split('\n').filter((line) => line.startsWith(broken))
    expect(findingLines.map((line) => line.slice(broken.length + 1).replace(/ {2,}/g, ' | '))).toEqual([
      'releases/prod/reviewer.yaml:81:5 | error | oauth-signin-rd | the rd= redirect in nginx.ingress.kubernetes.io/auth-signin is not URL-escaped ("https://$host$request_uri"): a query string in $request_uri then ends rd= at its first &, and users land on the wrong page after logging in',
      'releases/prod/values.yaml:1:1 | error | not-an-object | this document is a mapping without apiVersion and kind, not a Kubernetes object',
      'releases/stg/reviewer.yaml:44:9 | error | flagger-metric-interval | metric "request-success-rate": interval 30s is shorter than 1m',
      'releases/stg/reviewer.yaml:54:7 | warning | ingress-service-missing | backend Service "reviewer-web" in stg is not defined in the repository (nor made by a Flagger Canary)',
    ])
    // A hint under each finding, and a blank line between files.
    expect(result.stdout.split('\n').filter((line) => line.startsWith('    hint: '))).toHaveLength(4)
    expect(result.stdout.split('\n\n')).toHaveLength(3)
    expect(result.stderr).toBe(`${notRendered}✗ 3 errors, 1 warning in 16 files, 36 objects (4 rendered by helm), 1 template\n`)
    expect(treeDigest(broken)).toBe(before)
  })

  it('--json: the findings with file, line, column, rule, severity, message and object; exit 6', async () => {
    const result = await lint(['lint', broken, '--json'])
    expect(result.exitCode).toBe(6)
    expect(result.stderr).toBe('')
    const parsed = JSON.parse(result.stdout) as {findings: Array<Record<string, unknown>>; summary: Record<string, unknown>}
    expect(parsed.summary).toMatchObject({files: 16, objects: 36, renderedObjects: 4, templates: 1, errors: 3, warnings: 1, suppressed: 0})
    expect(parsed.findings[0]).toEqual({
      rule: 'oauth-signin-rd',
      severity: 'error',
      message: expect.stringContaining('is not URL-escaped'),
      hint: expect.stringContaining('rd=https%3A%2F%2F$host$request_uri'),
      file: path.join(broken, 'releases/prod/reviewer.yaml'),
      line: 81,
      column: 5,
      object: {apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: 'prod', name: 'reviewer'},
    })
  })

  it('--format sarif: a SARIF 2.1.0 log with every rule that ran and one result per finding', async () => {
    const result = await lint(['lint', broken, '--format', 'sarif'])
    expect(result.exitCode).toBe(6)
    const log = JSON.parse(result.stdout) as {
      version: string
      runs: Array<{
        tool: {driver: {rules: Array<{id: string}>}}
        results: Array<{ruleId: string; level: string; locations: Array<{physicalLocation: {region: {startLine: number}}}>}>
      }>
    }
    expect(log.version).toBe('2.1.0')
    expect(log.runs[0].tool.driver.rules.length).toBeGreaterThanOrEqual(26)
    expect(log.runs[0].results.map((r) => [r.ruleId, r.level, r.locations[0].physicalLocation.region.startLine])).toEqual([
      ['oauth-signin-rd', 'error', 81],
      ['not-an-object', 'error', 1],
      ['flagger-metric-interval', 'error', 44],
      ['ingress-service-missing', 'warning', 54],
    ])
  })

  it('--format github: workflow annotations', async () => {
    const result = await lint(['lint', broken, '--format', 'github', '--rule', 'flagger-metric-interval'])
    expect(result.exitCode).toBe(6)
    expect(result.stdout).toBe(
      `::error file=${path.join(broken, 'releases/stg/reviewer.yaml')},line=44,col=9,title=flagger-metric-interval::metric "request-success-rate": interval 30s is shorter than 1m (use interval: 1m or longer (runbook: shorter windows hold a single sample, so rate() returns nothing and the analysis fails))\n`,
    )
  })

  it('exits 0 when only warnings are left (--skip-rule, --severity)', async () => {
    const warnings = await lint(['lint', broken, '--skip-rule', 'oauth-signin-rd,not-an-object', '--skip-rule', 'flagger-metric-interval'])
    expect(warnings.exitCode).toBe(0)
    expect(warnings.stderr).toBe(`${notRendered}⚠ 0 errors, 1 warning in 16 files, 36 objects (4 rendered by helm), 1 template\n`)
    const errorsOnly = await lint(['lint', broken, '--severity', 'error', '--rule', 'ingress-service-missing'])
    expect(errorsOnly).toMatchObject({exitCode: 0, stdout: ''})
    expect(errorsOnly.stderr).toBe('✔ no problems in 16 files, 32 objects, 1 template; 1 below --severity\n')
  })

  it('lints the current directory by default, and several paths in one run', async () => {
    const here = await runCli(['lint'], {cwd: broken, env: helmEnv})
    expect(here.exitCode).toBe(6)
    expect(here.stdout).toContain('releases/prod/values.yaml:1:1  error')
    const two = await lint(['lint', path.join(broken, 'releases/prod/values.yaml'), path.join(broken, 'namespaces')])
    expect(two.exitCode).toBe(6)
    expect(two.stderr).toBe('✗ 1 error, 0 warnings in 3 files, 4 objects\n')
  })

  it('validates objects with the schemas built into dist/ (Kubernetes OpenAPI and bundled CRDs), strictly', async () => {
    const repo = repos.copy([
      {file: 'releases/prod/reviewer.yaml', from: '  replicas: 2\n', to: '  replica: 2\n'},
      {file: 'releases/prod/reviewer.yaml', from: '    stepWeight: 10\n', to: '    stepWeight: 10\n    stepWeigth: 5\n'},
    ])
    const result = await lint(['lint', repo, '--json'])
    expect(result.exitCode).toBe(6)
    const parsed = JSON.parse(result.stdout) as {findings: Array<{rule: string; line: number; message: string}>; summary: {schemas: string[]}}
    expect(parsed.summary.schemas).toEqual([
      'Kubernetes v1.35.4',
      'flagger v1.36.1',
      'helm-operator v1.4.4',
      'source-controller v1.8.0',
      'kustomize-controller v1.7.3',
      'helm-controller v1.4.3',
      'sealed-secrets v0.40.0',
      'prometheus-operator v0.85.0',
      'image-reflector-controller v1.0.4',
      'image-automation-controller v1.0.4',
      'notification-controller v1.7.5',
    ])
    expect(parsed.findings.map((f) => [f.rule, f.line, f.message])).toEqual([
      ['schema', 9, 'spec.replica: unknown field "replica" in spec'],
      ['schema', 50, 'spec.analysis.stepWeigth: unknown field "stepWeigth" in spec.analysis'],
    ])
  })

  it("loads the validators of the kinds it validates, not every bundled kind's", () => {
    const repo = path.join(scratch, 'kinds')
    mkdirSync(repo)
    writeFileSync(
      path.join(repo, 'app.yaml'),
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: app\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: app\n  namespace: app\nspec:\n  ports: [{port: 80}]\n  selectr: {app: app}\n',
    )
    const require = createRequire(import.meta.url)
    const dist = path.join(repoRoot, 'dist')
    const loaded = () => Object.keys(require.cache).filter((file) => file.startsWith(path.join(dist, 'lint-validators') + path.sep))
    expect(loaded()).toEqual([])
    const result = lintRepository({paths: [repo], severity: 'warning', schemas: bundledSchemas(), only: ['schema']})
    expect(result.findings.map((f) => f.message)).toEqual(['spec.selectr: unknown field "selectr" in spec'])
    const {meta} = require(path.join(dist, 'lint-validators.cjs')) as {meta: {kinds: Record<string, string>; exports: Record<string, string>}}
    expect(Object.keys(meta.kinds).length).toBeGreaterThan(100)
    const moduleOf = (kind: string) => path.join(dist, 'lint-validators', `${meta.exports[meta.kinds[kind]]}.cjs`)
    expect(loaded().sort()).toEqual([moduleOf('/v1/Namespace'), moduleOf('/v1/Service')].sort())
  })

  it('exits 2 with one line for an unknown rule or a missing path', async () => {
    const rule = await lint(['lint', broken, '--rule', 'flagger-interval'])
    expect(rule.exitCode).toBe(2)
    expect(rule.stdout).toBe('')
    expect(rule.stderr).toMatch(/^error: unknown rule "flagger-interval"; the rules are: yaml-syntax, .*\n$/)
    const missing = await lint(['lint', path.join(scratch, 'nope')])
    expect(missing).toMatchObject({exitCode: 2, stdout: ''})
    expect(missing.stderr).toBe(`error: ${path.join(scratch, 'nope')} cannot be read (ENOENT); pass the path of the GitOps repository (or of files in it)\n`)
  })
})
