import {readFileSync, symlinkSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {lintRepository} from '../../src/lib/lint/lint.js'
import {flattenStrings, listFiles, loadFiles, readYamlFile, type LoadedFiles} from '../../src/lib/sources/files.js'
import {repoRoot} from '../helpers/cli.js'
import {scratchRepos} from '../helpers/repos.js'

const repos = scratchRepos('elife-k8s-lint-sources-')
const scratch = repos.dir
const repo = repos.write

const namespace = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`
const configMap = (name: string, ns = 'default') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n`

describe('reading a repository as Flux v1 does', () => {
  it('reads .yaml and .yml recursively, skips .git, other extensions, and keeps *.yaml-template as templates', () => {
    const dir = repo({
      'a.yaml': configMap('a'),
      'deep/er/b.yml': configMap('b'),
      '.git/config.yaml': 'not: [valid',
      'notes.txt': 'foo: [',
      'chart/values.json': '{',
      'alertmanager-secret.yaml-template': 'route:\n  receiver: x\n',
    })
    const loaded = loadFiles([dir])
    expect(loaded.files).toBe(2)
    expect(loaded.documents.map((doc) => (doc.value as {metadata: {name: string}}).metadata.name)).toEqual(['a', 'b'])
    expect(loaded.templates.map((t) => path.basename(t.file))).toEqual(['alertmanager-secret.yaml-template'])
    expect(loaded.fileProblems).toEqual([])
  })

  it('skips a directory that looks like a Helm chart (Chart.yaml and values.yaml), as fluxd does', () => {
    const dir = repo({
      'a.yaml': configMap('a'),
      'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
      'charts/app/values.yaml': 'replicas: 1\n',
      'charts/app/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n',
      // Chart.yaml alone is not a chart to Flux v1: its files are applied (and linted).
      'half/Chart.yaml': configMap('half'),
    })
    const loaded = loadFiles([dir])
    expect(loaded.documents.map((doc) => (doc.value as {metadata: {name: string}}).metadata.name)).toEqual(['a', 'half'])
    expect(loaded.fileProblems).toEqual([])
  })

  it('gives every document of a multi-document file its own line and column, and skips empty documents', () => {
    const dir = repo({'multi.yaml': `---\n${configMap('one')}---\n# only a comment\n---\n\n  ${configMap('two').replaceAll('\n', '\n  ').trimEnd()}\n---\n`})
    const loaded = loadFiles([dir])
    expect(loaded.documents.map((doc) => doc.source)).toEqual([
      {file: path.join(dir, 'multi.yaml'), line: 2, col: 1},
      {file: path.join(dir, 'multi.yaml'), line: 11, col: 3},
    ])
  })

  it('locates a path inside an object, and the nearest ancestor of a missing one', () => {
    const dir = repo({'x.yaml': `${configMap('x')}data:\n  key: value\n`})
    const [doc] = loadFiles([dir]).documents
    expect(doc.locate!(['metadata', 'namespace'])).toMatchObject({line: 5, col: 3})
    expect(doc.locate!(['data', 'key'])).toMatchObject({line: 7, col: 3})
    expect(doc.locate!(['data', 'missing', 'deeper'])).toMatchObject({line: 6, col: 1})
  })

  it('reports a file that does not parse, at the error, without quoting it, and goes on with the others', () => {
    const dir = repo({'bad.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  token: "hunter2\n', 'good.yaml': namespace('good')})
    const loaded = loadFiles([dir])
    expect(loaded.fileProblems).toHaveLength(1)
    expect(loaded.fileProblems[0].position.file).toBe(path.join(dir, 'bad.yaml'))
    expect(loaded.fileProblems[0].position.line).toBeGreaterThanOrEqual(6)
    expect(loaded.fileProblems[0].message).not.toContain('hunter2')
    expect(loaded.documents).toHaveLength(1)
  })

  it('reports a file that cannot be read (a dangling symlink) as a finding, not a crash', () => {
    const dir = repo({'ns.yaml': namespace('default')})
    symlinkSync(path.join(dir, 'gone.yaml'), path.join(dir, 'link.yaml'))
    const result = lintRepository({paths: [dir], severity: 'warning'})
    expect(result.findings).toEqual([
      expect.objectContaining({rule: 'yaml-syntax', file: path.join(dir, 'link.yaml'), line: 1, message: 'cannot be read (ENOENT)'}),
    ])
  })

  it('refuses a path that does not exist as a usage error', () => {
    expect(() => loadFiles([path.join(scratch, 'nope')])).toThrow(
      expect.objectContaining({kind: 'usage', message: expect.stringContaining('cannot be read (ENOENT)')}),
    )
  })
})

describe('the fast reader (js-yaml) and the precise one (yaml, with positions)', () => {
  const empty = (): LoadedFiles => ({
    documents: [],
    fileProblems: [],
    templates: [],
    suppressionComments: [],
    imagePolicyMarkers: [],
    lineSuppressions: new Map(),
    files: 0,
  })
  const samples: Record<string, string> = {
    'scalars.yaml':
      'a: 1\nb: 1.5\nc: true\nd: null\ne: ~\nf: "2021-01-01"\ng: 2021-01-01\nh: 0o14\ni: 0x1F\nj: .inf\nk: yes\nl: on\nm: 012\nn: "010"\no: [1, "two", {three: 3}]\n',
    'blocks.yaml': 'a: |\n  line one\n  line two\nb: >-\n  folded\n  text\nc: &anchor {x: 1}\nd: *anchor\n',
    'multi.yaml': '---\n# empty\n---\na: 1\n---\n- 1\n- 2\n---\n',
  }

  it('read the same values from every fixture file and from YAML edge cases', () => {
    const fixtureFiles = listFiles([path.join(repoRoot, 'test/fixtures/gitops')]).filter((f) => /\.ya?ml$/.test(f.abs))
    const texts = [...fixtureFiles.map((f) => [f.shown, readFileSync(f.abs, 'utf8')]), ...Object.entries(samples)]
    expect(texts.length).toBeGreaterThan(15)
    for (const [file, text] of texts) {
      const fast = empty()
      const precise = empty()
      readYamlFile(text, file, fast)
      readYamlFile(text, file, precise, {precise: true})
      expect(precise.fileProblems, file).toEqual([])
      expect(
        fast.documents.map((d) => d.value),
        file,
      ).toEqual(precise.documents.map((d) => d.value))
      expect(
        fast.documents.map((d) => d.source),
        file,
      ).toEqual(precise.documents.map((d) => d.source))
      expect(
        fast.documents.map((d) => d.locate!(['metadata', 'name'])),
        file,
      ).toEqual(precise.documents.map((d) => d.locate!(['metadata', 'name'])))
    }
  })
})

describe('flattening the strings of parsed documents (memory: js-yaml builds block scalars line by line)', () => {
  it('leaves every value as it was: long block scalars, numbers-looking strings, nested lists and maps', () => {
    const dashboard = JSON.stringify({uid: 'abc', panels: Array.from({length: 50}, (_, i) => ({id: i, title: `panel ${i}`}))}, null, 2)
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\ndata:\n  d.json: |-\n${dashboard
      .split('\n')
      .map((line) => `    ${line}`)
      .join('\n')}\n  big: "${'1'.repeat(100)}"\n  list: [${'x'.repeat(80)}, 2, null, true]\n`
    const loaded = loadFiles([repo({'d.yaml': text})])
    const value = loaded.documents[0].value as {data: Record<string, unknown>}
    expect(value.data['d.json']).toBe(dashboard)
    expect(value.data.big).toBe('1'.repeat(100))
    expect(value.data.list).toEqual(['x'.repeat(80), 2, null, true])
    const copy = structuredClone(value)
    flattenStrings(value)
    expect(value).toEqual(copy)
  })

  it('visits objects that YAML aliases share once (an alias bomb is walked in linear time, not 2^40 steps)', () => {
    const levels = Array.from({length: 40}, (_, i) => `l${i + 1}: &l${i + 1} [*l${i}, *l${i}]`).join('\n')
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\nl0: &l0 ["${'y'.repeat(100)}"]\n${levels}\n`
    const loaded = loadFiles([repo({'bomb.yaml': text})])
    expect(loaded.documents).toHaveLength(1)
    expect((loaded.documents[0].value as {metadata: {name: string}}).metadata.name).toBe('bomb')
  })
})

describe('suppressions', () => {
  const stray = 'replicaCount: 2\n'
  it('a trailing comment silences its own line; a comment above silences the next line', () => {
    const dir = repo({
      'ns.yaml': namespace('prod'),
      'a.yaml': `${configMap('a', 'qa')}`.replace('namespace: qa', 'namespace: qa # elife-k8s:ignore namespace-missing created by the qa team'),
      'b.yaml': configMap('b', 'qa2').replace('  namespace: qa2', '  # elife-k8s:ignore namespace-missing made by hand\n  namespace: qa2'),
    })
    const result = lintRepository({paths: [dir], severity: 'warning'})
    expect(result.findings).toEqual([])
    expect(result.summary.suppressed).toBe(2)
  })

  it('a comment at the top of a document silences the rule for the whole object, and only that rule', () => {
    const object = `# elife-k8s:ignore flagger-analysis-steps,flagger-metric-interval not rolled out yet
apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: c
spec:
  analysis:
    metrics:
      - name: m
        interval: 10s
`
    const dir = repo({'c.yaml': `${namespace('other')}---\n${object}`})
    const result = lintRepository({paths: [dir], severity: 'warning'})
    expect(result.summary.suppressed).toBe(2)
    expect(result.findings.map((f) => f.rule)).toEqual([])
    const without = lintRepository({paths: [repo({'c.yaml': `${namespace('other')}---\n${object.split('\n').slice(1).join('\n')}`})], severity: 'warning'})
    expect(without.findings.map((f) => f.rule).sort()).toEqual(['flagger-analysis-steps', 'flagger-metric-interval'])
  })

  it('a comment without a reason silences nothing, and says so', () => {
    const dir = repo({'v.yaml': `# elife-k8s:ignore not-an-object\n${stray}`})
    const result = lintRepository({paths: [dir], severity: 'warning'})
    expect(result.findings.map((f) => [f.rule, f.line])).toEqual([
      ['ignore-comment', 1],
      ['not-an-object', 2],
    ])
  })

  it('--rule, --skip-rule and --severity select what is reported; an unknown rule is a usage error', () => {
    const dir = repo({'v.yaml': stray, 'i.yaml': 'a: b # elife-k8s:ignore nope reason\n'})
    expect(lintRepository({paths: [dir], severity: 'warning'}).findings.map((f) => f.rule)).toEqual(['not-an-object', 'ignore-comment', 'not-an-object'])
    expect(lintRepository({paths: [dir], severity: 'error'}).findings.map((f) => f.rule)).toEqual(['not-an-object', 'not-an-object'])
    expect(lintRepository({paths: [dir], severity: 'warning', only: ['ignore-comment']}).findings.map((f) => f.rule)).toEqual(['ignore-comment'])
    expect(lintRepository({paths: [dir], severity: 'warning', skip: ['not-an-object']}).findings.map((f) => f.rule)).toEqual(['ignore-comment'])
    expect(() => lintRepository({paths: [dir], severity: 'warning', only: ['flagger-typo']})).toThrow(
      expect.objectContaining({kind: 'usage', message: 'unknown rule "flagger-typo"'}),
    )
    expect(() => lintRepository({paths: [dir], severity: 'warning', kubernetesVersion: 'latest'})).toThrow(
      expect.objectContaining({kind: 'usage', message: '--kubernetes-version "latest" is not a Kubernetes version'}),
    )
  })
})
