import type {CoreV1Api} from '@kubernetes/client-node'
import {describe, expect, it} from 'vitest'

import type {HelmTool, ToolResult} from '../../src/lib/helm/binary.js'
import {encodeRelease, type RecordLabels, type ReleaseRecord} from '../../src/lib/helm/release.js'
import type {ReleaseHistory} from '../../src/lib/helm/store.js'
import {executeUnstick, prepareUnstick, type UnstickClients} from '../../src/lib/helm/unstick.js'

// The rollback escalation with a scripted helm: which commands are tried, in which order, and
// when it stops. (The real case, with real helm refusing a real rollback, is in
// test/integration/helm-unstick.test.ts.)
const entry = (version: number, status: string): {labels: RecordLabels; record: ReleaseRecord} => ({
  labels: {release: 'app', namespace: 'stg', revision: version, status, objectName: `sh.helm.release.v1.app.v${version}`, driver: 'secret'},
  record: {name: 'app', namespace: 'stg', version, info: {status, last_deployed: '2026-11-24T10:00:00Z'}, chart: {metadata: {name: 'app', version: '0.1.0'}}},
})
const history: ReleaseHistory = {release: 'app', namespace: 'stg', driver: 'secret', revisions: [entry(1, 'deployed'), entry(2, 'failed')], corrupt: []}
const mismatch: ToolResult = {exitCode: 1, stdout: '', stderr: 'Error: no ConfigMap with the name "app-extra" found\n'}
const ok: ToolResult = {exitCode: 0, stdout: '', stderr: ''}

function scripted(answers: ToolResult[], after: {labels: RecordLabels; record: ReleaseRecord}) {
  const calls: string[] = []
  const helm: HelmTool = {
    path: 'helm',
    version: 'v3.20.2',
    clusterArgs: [],
    run: async (args) => {
      calls.push(args.join(' '))
      return answers.shift() ?? ok
    },
  }
  const core = {
    listNamespacedSecret: async () => ({
      items: [...history.revisions, after].map(({labels, record}) => ({
        metadata: {name: labels.objectName, namespace: 'stg', labels: {owner: 'helm', name: 'app', version: String(labels.revision), status: labels.status}},
        data: {release: encodeRelease(record, 'secret')},
      })),
    }),
  } as unknown as CoreV1Api
  return {helm, calls, clients: {core} as unknown as UnstickClients}
}

async function run(answers: ToolResult[], chart: string | undefined, after: {labels: RecordLabels; record: ReleaseRecord}) {
  const {helm, calls, clients} = scripted(answers, after)
  const prepared = await prepareUnstick(clients, {release: 'app', namespace: 'stg', history}, {pendingTimeoutMs: 0, owners: new Map(), chart})
  const outcome = await executeUnstick(clients, helm, prepared)
  return {calls, outcome}
}

describe('helm unstick: rollback escalation', () => {
  it('helm refuses a rollback for a manifest/cluster mismatch: rolls back once more, and stops there when that works', async () => {
    const {calls, outcome} = await run([mismatch, ok], undefined, entry(4, 'deployed'))
    expect(calls).toEqual(['rollback app 1 --timeout 5m0s --namespace stg', 'rollback app 1 --timeout 5m0s --namespace stg'])
    expect(outcome.ok).toBe(true)
    expect(outcome.summary).toBe('release "app" in stg is now deployed at revision 4 (app-0.1.0); helm can upgrade it again')
  })

  it("then --force, then the runbook's upgrade with --reuse-values and the chart given", async () => {
    const {calls, outcome} = await run([mismatch, mismatch, mismatch, ok], './charts/app', entry(5, 'deployed'))
    expect(calls).toEqual([
      'rollback app 1 --timeout 5m0s --namespace stg',
      'rollback app 1 --timeout 5m0s --namespace stg',
      'rollback app 1 --timeout 5m0s --force --namespace stg',
      'upgrade app ./charts/app --reuse-values --timeout 5m0s --namespace stg',
    ])
    expect(outcome.ok).toBe(true)
    expect(outcome.steps.at(-1)).toEqual({action: 'rollback', ok: true, detail: "helm upgraded app with ./charts/app and the last deployed revision's values"})
  })

  it('without a chart, says the upgrade to run; another error stops the escalation at once', async () => {
    const noChart = await run([mismatch, mismatch, mismatch], undefined, entry(5, 'failed'))
    expect(noChart.calls).toHaveLength(3)
    expect(noChart.outcome.ok).toBe(false)
    expect(noChart.outcome.steps.at(-1)?.detail).toMatch(
      /--force failed: no ConfigMap .*; the runbook's last resort .*`helm upgrade app CHART -n stg --reuse-values`/,
    )
    const other = await run([mismatch, {exitCode: 1, stdout: '', stderr: 'Error: timed out waiting for the condition\n'}], './charts/app', entry(4, 'failed'))
    expect(other.calls).toHaveLength(2)
    expect(other.outcome.ok).toBe(false)
  })
})

describe('helm unstick: a chart URL with credentials in it', () => {
  const chart = 'https://deploy:S3CR3T-pw@charts.example/app-0.1.0.tgz'
  const refused: ToolResult = {exitCode: 1, stdout: '', stderr: `Error: failed to fetch ${chart} : 401 Unauthorized\n`}

  it('helm gets the URL as given; the plan, the steps and the outcome show it with the credentials as ***', async () => {
    const {helm, calls, clients} = scripted([mismatch, mismatch, mismatch, refused], entry(5, 'failed'))
    const prepared = await prepareUnstick(clients, {release: 'app', namespace: 'stg', history}, {pendingTimeoutMs: 0, owners: new Map(), chart})
    const shown: string[] = prepared.plan.steps.map((s) => s.text)
    const outcome = await executeUnstick(clients, helm, prepared, {onStep: (t) => shown.push(t), onDone: (t) => shown.push(t), onWarning: (t) => shown.push(t)})
    expect(calls.at(-1)).toBe(`upgrade app ${chart} --reuse-values --timeout 5m0s --namespace stg`)
    shown.push(outcome.summary, ...outcome.steps.map((s) => s.detail))
    expect(shown.join('\n')).not.toContain('S3CR3T')
    expect(shown.join('\n')).toContain('https://deploy:***@charts.example/app-0.1.0.tgz')
  })
})
