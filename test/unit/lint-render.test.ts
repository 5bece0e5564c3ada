import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import type {HelmTool} from '../../src/lib/helm/binary.js'
import {lintAction} from '../../src/lib/lint/lint.js'
import {
  helmMessagesLocale,
  helmTemplateEnv,
  normalizeGitUrl,
  redactHelmError,
  renderConcurrency,
  splitRendered,
  valuesDocument,
} from '../../src/lib/lint/render-charts.js'
import type {SchemaSet} from '../../src/lib/rules/schema.js'

// The pure parts of rule 9 (HelmRelease rendering); helm itself runs in
// test/integration/lint-render.test.ts.

describe('rendering HelmReleases: the pure parts', () => {
  it('one Git URL in its ssh, scp-like and https forms compares equal; other repositories do not', () => {
    const forms = [
      'ssh://git@github.com/elifesciences/elife-flux-cluster',
      'git@github.com:elifesciences/elife-flux-cluster.git',
      'https://github.com/elifesciences/elife-flux-cluster.git/',
      'https://GitHub.com/elifesciences/elife-flux-cluster',
      'ssh://git@github.com:22/elifesciences/elife-flux-cluster',
    ]
    expect(new Set(forms.map(normalizeGitUrl))).toEqual(new Set(['github.com/elifesciences/elife-flux-cluster']))
    expect(normalizeGitUrl('https://github.com/libero/reviewer')).not.toBe(normalizeGitUrl('https://github.com/elifesciences/elife-flux-cluster'))
    expect(normalizeGitUrl('file:///tmp/repo')).toBe('/tmp/repo')
  })

  it('replaces every value passed to helm in its error line, longest first, whatever the key', () => {
    const values = {mode: 'hunter2-secret', nested: {list: ['abc-token-xyz', 'x']}, port: 8080}
    expect(redactHelmError('execution error at (c/templates/d.yaml:2:4): mode hunter2-secret is not one of web; got abc-token-xyz on 8080', values)).toBe(
      'execution error at (c/templates/d.yaml:2:4): mode <value> is not one of web; got <value> on <value>',
    )
  })

  it('gives helm the values as JSON (YAML to helm), or as YAML where JSON cannot say a number', () => {
    const values = {replicaCount: 2, tag: '0123', on: 'yes', empty: null, list: [1.5, true, 'x: y'], nested: {'a.b': {c: ''}}}
    expect(JSON.parse(valuesDocument(values))).toEqual(values)
    const infinite = valuesDocument({limit: Infinity, ratio: Number.NaN, name: 'x'})
    expect(infinite).toContain('limit: .inf')
    expect(infinite).toContain('ratio: .nan')
  })

  it("splits helm template's output into documents with the template each came from", () => {
    const output =
      '---\n# Source: journal/templates/service.yaml\napiVersion: v1\nkind: Service\n---\n# Source: journal/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\n'
    expect(splitRendered(output).map((doc) => doc.template)).toEqual(['journal/templates/service.yaml', 'journal/templates/deployment.yaml'])
  })
})

describe('rendering HelmReleases: helm starts first, the rest of lint overlaps with it', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'elife-k8s-lint-render-order-'))
  afterAll(() => rmSync(scratch, {recursive: true, force: true}))

  /** A Flux v2 repository whose Kustomization reads itself, with `releases` HelmReleases of charts it keeps. */
  function repository(releases: number): string {
    const dir = path.join(scratch, `repo-${releases}`)
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(dir, file)), {recursive: true})
      writeFileSync(path.join(dir, file), text)
    }
    write(
      'sources.yaml',
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n---\n' +
        'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: self\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: ssh://git@example.org/elife/cluster\n  ref:\n    branch: master\n---\n' +
        'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: self\n',
    )
    for (let r = 0; r < releases; r++) {
      write(`charts/app-${r}/Chart.yaml`, `apiVersion: v2\nname: app-${r}\nversion: 1.0.0\n`)
      write(`charts/app-${r}/values.yaml`, 'replicaCount: 1\n')
      write(
        `app-${r}.yaml`,
        `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: app-${r}\n  namespace: prod\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: ./charts/app-${r}\n      sourceRef:\n        kind: GitRepository\n        name: self\n        namespace: flux-system\n  values:\n    replicaCount: 2\n`,
      )
    }
    return dir
  }

  it('starts helm for the first releases before it loads the schema validators, and loads them before helm has finished', async () => {
    const releases = 5
    let started = 0
    let finished = 0
    let loadedAt: {started: number; finished: number} | undefined
    const helm: HelmTool = {
      path: 'helm',
      version: 'v3.20.2',
      clusterArgs: [],
      run: async (args) => {
        started++
        // helm answers later, as a process does.
        await new Promise((resolve) => setTimeout(resolve, 5))
        finished++
        const name = args[1]
        return {stdout: `---\n# Source: ${name}/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`, stderr: '', exitCode: 0}
      },
    }
    // Schemas whose loading is seen: the first look at their kinds is when the bundle would be required.
    const schemas: SchemaSet = {
      sources: ['test'],
      get kinds() {
        loadedAt ??= {started, finished}
        return {}
      },
    }
    const result = await lintAction.run({} as never, {
      paths: [repository(releases)],
      severity: 'warning',
      schemas,
      render: {helm: async () => helm, online: false, concurrency: 3},
    })
    expect(result.rendering?.rendered.map((release) => release.helmRelease)).toEqual(Array.from({length: releases}, (_, r) => `prod/app-${r}`))
    expect(result.summary.renderedObjects).toBe(releases)
    expect(loadedAt).toEqual({started: 3, finished: 0})
  })

  it('runs four helm processes per core, at most 16', () => {
    expect([1, 2, 4, 8, 64].map((cores) => renderConcurrency(cores))).toEqual([4, 8, 16, 16, 16])
  })

  it('runs helm template with GOGC=400 and a small message catalogue (LC_MESSAGES), unless the user set either', async () => {
    const seen: Array<NodeJS.ProcessEnv | undefined> = []
    const helm: HelmTool = {
      path: 'helm',
      version: 'v3.20.2',
      clusterArgs: [],
      run: async (args, options) => {
        seen.push(options?.env)
        return {stdout: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${args[1]}\n`, stderr: '', exitCode: 0}
      },
    }
    const dir = repository(2)
    const envs = async (env: NodeJS.ProcessEnv) => {
      seen.length = 0
      await lintAction.run({} as never, {paths: [dir], severity: 'warning', render: {helm: async () => helm, online: false, env}})
      return [...seen]
    }
    const added = {GOGC: '400', LC_MESSAGES: helmMessagesLocale}
    expect(await envs({})).toEqual([added, added])
    expect(await envs({GOGC: '100'})).toEqual([{LC_MESSAGES: helmMessagesLocale}, {LC_MESSAGES: helmMessagesLocale}])
    // kubectl reads LC_ALL before LC_MESSAGES: a user's choice of either is left alone.
    expect(await envs({GOGC: '100', LC_ALL: 'de_DE.UTF-8'})).toEqual([{}, {}])
    expect(await envs({LC_MESSAGES: 'ja_JP.UTF-8'})).toEqual([{GOGC: '400'}, {GOGC: '400'}])
  })

  it('names a locale only for a chart on disk: a chart fetched from a repository may start a getter plugin, which would read it', () => {
    expect(helmTemplateEnv({}, true)).toEqual({GOGC: '400', LC_MESSAGES: helmMessagesLocale})
    expect(helmTemplateEnv({}, false)).toEqual({GOGC: '400'})
    // One of the catalogues kubectl embeds, in the form it parses (language.encoding).
    expect(helmMessagesLocale).toMatch(/^[a-z]{2}_[A-Z]{2}\.UTF-8$/)
  })
})
