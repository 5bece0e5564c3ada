import {readFileSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {repoRoot} from '../helpers/cli.js'
import {renderRulesDoc} from '../../src/lib/lint/rules-doc.js'

import {renderGithub, renderSarif, renderText, summaryLine} from '../../src/lib/lint/render.js'
import {runRules} from '../../src/lib/rules/engine.js'
import {ObjectIndex} from '../../src/lib/rules/object-index.js'
import {flaggerMetricInterval} from '../../src/lib/rules/flagger.js'
import {lintRules} from '../../src/lib/rules/registry.js'
import type {ResolvedFinding, Rule} from '../../src/lib/rules/types.js'
import {makeChalk} from '../../src/lib/render/style.js'

const canary = {
  apiVersion: 'flagger.app/v1beta1',
  kind: 'Canary',
  metadata: {name: 'reviewer', namespace: 'prod'},
  spec: {analysis: {iterations: 3, metrics: [{name: 'request-success-rate', interval: '30s'}]}},
}

/** As doctor would read it from the API. */
const prodNamespace = {value: {apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'prod'}}, source: {cluster: 'kind-test'}}

describe('the rule engine', () => {
  it('runs the same rules on objects read from the API (doctor): source {cluster}, no positions', () => {
    const index = new ObjectIndex({documents: [prodNamespace, {value: canary, source: {cluster: 'kind-test'}}]})
    const {findings} = runRules(index, lintRules)
    expect(findings).toEqual([
      {
        rule: 'flagger-metric-interval',
        severity: 'error',
        message: 'metric "request-success-rate": interval 30s is shorter than 1m',
        hint: flaggerMetricInterval.hint,
        cluster: 'kind-test',
        object: {apiVersion: 'flagger.app/v1beta1', kind: 'Canary', namespace: 'prod', name: 'reviewer'},
      },
    ])
  })

  it('honours object suppressions whatever the source (doctor may set them from an annotation)', () => {
    const index = new ObjectIndex({documents: [prodNamespace, {value: canary, source: {cluster: 'c'}, suppressed: new Set(['flagger-metric-interval'])}]})
    expect(runRules(index, lintRules)).toEqual({findings: [], suppressed: 1})
  })

  it('turns a rule that throws into one finding and still runs the others', () => {
    const broken: Rule = {
      id: 'broken',
      severity: 'warning',
      group: 't',
      summary: 's',
      hint: 'h',
      check: () => {
        throw new Error('boom')
      },
    }
    const index = new ObjectIndex({documents: [{value: canary, source: {cluster: 'c'}}]})
    const {findings} = runRules(index, [broken, flaggerMetricInterval])
    expect(findings.map((f) => [f.rule, f.severity, f.message])).toEqual(
      [
        ['broken', 'error', 'the rule failed: boom'],
        ['flagger-metric-interval', 'error', 'metric "request-success-rate": interval 30s is shorter than 1m'],
      ].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    )
  })

  it('docs/lint-rules.md lists every rule with its severity, summary and hint (regenerated, not hand-edited)', () => {
    expect(
      readFileSync(path.join(repoRoot, 'docs/lint-rules.md'), 'utf8'),
      'regenerate with: npx tsx -e "import {writeRulesDoc} from \'./src/lib/lint/rules-doc.ts\'; writeRulesDoc()"',
    ).toBe(renderRulesDoc(lintRules))
    for (const rule of lintRules) expect(renderRulesDoc(lintRules)).toContain(`| \`${rule.id}\` | ${rule.severity} |`)
  })

  it('has unique rule ids, each with a summary and a hint', () => {
    const ids = lintRules.map((rule) => rule.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const rule of lintRules) {
      expect(rule.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/)
      expect(rule.summary.length).toBeGreaterThan(10)
      expect(rule.hint.length).toBeGreaterThan(10)
    }
  })
})

describe('deprecated and removed APIs against the target version', () => {
  const cronJob = {value: {apiVersion: 'batch/v1beta1', kind: 'CronJob', metadata: {name: 'backup', namespace: 'prod'}}, source: {cluster: 'c'}}
  const verdict = (kubernetesVersion: string) =>
    runRules(new ObjectIndex({documents: [prodNamespace, cronJob], kubernetesVersion}), lintRules).findings.map((f) => `${f.rule}: ${f.message}`)

  it('says nothing before the deprecation, warns until the removal, errs from it on', () => {
    expect(verdict('1.20')).toEqual([])
    expect(verdict('1.21')).toEqual(['api-deprecated: batch/v1beta1 CronJob is deprecated since Kubernetes 1.21, removed in 1.25 (target 1.21): use batch/v1'])
    expect(verdict('1.24')).toEqual(['api-deprecated: batch/v1beta1 CronJob is deprecated since Kubernetes 1.21, removed in 1.25 (target 1.24): use batch/v1'])
    expect(verdict('1.25')).toEqual(['api-removed: batch/v1beta1 CronJob was removed in Kubernetes 1.25 (target 1.25): use batch/v1'])
    expect(verdict('v1.35.4')).toEqual(['api-removed: batch/v1beta1 CronJob was removed in Kubernetes 1.25 (target v1.35.4): use batch/v1'])
  })
})

const findings: ResolvedFinding[] = [
  {
    rule: 'flagger-metric-interval',
    severity: 'error',
    message: 'metric "m": interval 30s is shorter than 1m',
    hint: 'use 1m',
    file: 'releases/prod/a b.yaml',
    line: 3,
    column: 5,
  },
  {rule: 'ingress-service-missing', severity: 'warning', message: 'backend, with: colon', hint: 'check', file: 'releases/prod/a b.yaml', line: 9, column: 1},
  {rule: 'not-an-object', severity: 'error', message: 'line1\nline2 100%', hint: 'rename', file: 'values.yaml', line: 1, column: 1},
]

describe('rendering findings', () => {
  it('text: path:line:col  severity  rule  message, a hint under each, files separated by a blank line', () => {
    expect(renderText(findings, makeChalk(false))).toEqual([
      'releases/prod/a b.yaml:3:5  error    flagger-metric-interval  metric "m": interval 30s is shorter than 1m',
      '    hint: use 1m',
      'releases/prod/a b.yaml:9:1  warning  ingress-service-missing  backend, with: colon',
      '    hint: check',
      '',
      'values.yaml:1:1  error    not-an-object  line1\nline2 100%',
      '    hint: rename',
    ])
  })

  it('summary: counts of what was checked and found', () => {
    const base = {
      files: 200,
      templates: 1,
      objects: 1,
      renderedObjects: 0,
      errors: 0,
      warnings: 0,
      suppressed: 0,
      belowThreshold: 0,
      rules: [],
      schemas: null,
      kubernetesVersion: '1.35',
    }
    expect(summaryLine(base)).toBe('no problems in 200 files, 1 object, 1 template')
    expect(summaryLine({...base, errors: 2, warnings: 1, suppressed: 3, belowThreshold: 1})).toBe(
      '2 errors, 1 warning in 200 files, 1 object, 1 template; 3 suppressed, 1 below --severity',
    )
    expect(summaryLine({...base, objects: 6, renderedObjects: 4})).toBe('no problems in 200 files, 6 objects (4 rendered by helm), 1 template')
  })

  it('github: one workflow command per finding, with properties and data escaped', () => {
    expect(renderGithub(findings)).toEqual([
      '::error file=releases/prod/a b.yaml,line=3,col=5,title=flagger-metric-interval::metric "m": interval 30s is shorter than 1m (use 1m)',
      '::warning file=releases/prod/a b.yaml,line=9,col=1,title=ingress-service-missing::backend, with: colon (check)',
      '::error file=values.yaml,line=1,col=1,title=not-an-object::line1%0Aline2 100%25 (rename)',
    ])
  })

  it('sarif: a 2.1.0 log whose results point at their rule and region', () => {
    const rules = lintRules.filter((rule) => ['flagger-metric-interval', 'ingress-service-missing', 'not-an-object'].includes(rule.id))
    const log = renderSarif(findings, rules, '1.2.3') as {
      version: string
      runs: Array<{
        tool: {driver: {name: string; version: string; rules: Array<{id: string; defaultConfiguration: {level: string}}>}}
        results: Array<Record<string, unknown>>
      }>
    }
    expect(log.version).toBe('2.1.0')
    const [run] = log.runs
    expect(run.tool.driver).toMatchObject({name: 'elife-k8s lint', version: '1.2.3'})
    expect(run.tool.driver.rules.map((rule) => [rule.id, rule.defaultConfiguration.level])).toEqual(rules.map((rule) => [rule.id, rule.severity]))
    expect(run.results[0]).toEqual({
      ruleId: 'flagger-metric-interval',
      ruleIndex: rules.findIndex((rule) => rule.id === 'flagger-metric-interval'),
      level: 'error',
      message: {text: 'metric "m": interval 30s is shorter than 1m (use 1m)'},
      locations: [{physicalLocation: {artifactLocation: {uri: 'releases/prod/a%20b.yaml'}, region: {startLine: 3, startColumn: 5}}}],
    })
    expect(run.results.map((result) => result.level)).toEqual(['error', 'warning', 'error'])
  })
})
