import {describe, expect, it} from 'vitest'

import type {OwnerRef} from '../../src/lib/helm/owner-names.js'
import type {RecordLabels, ReleaseRecord} from '../../src/lib/helm/release.js'
import type {ReleaseHistory} from '../../src/lib/helm/store.js'
import {unstickAction, type UnstickPlan} from '../../src/lib/helm/unstick-action.js'
import {prepareUnstick, type UnstickClients} from '../../src/lib/helm/unstick.js'

// What runAction prints and asks for `helm unstick` (the plan's description), and the result when
// nothing is executed. The cluster half is test/integration/helm-unstick.test.ts.
const entry = (release: string, version: number, status: string): {labels: RecordLabels; record: ReleaseRecord} => ({
  labels: {release, namespace: 'stg', revision: version, status, objectName: `sh.helm.release.v1.${release}.v${version}`, driver: 'secret'},
  record: {name: release, namespace: 'stg', version, info: {status, last_deployed: '2026-11-24T10:00:00Z'}, chart: {metadata: {name: 'app', version: '0.1.0'}}},
})
const history = (release: string, statuses: string[]): ReleaseHistory => ({
  release,
  namespace: 'stg',
  driver: 'secret',
  revisions: statuses.map((s, i) => entry(release, i + 1, s)),
  corrupt: [],
})
const owner: OwnerRef = {controller: 'flux-v2', apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', namespace: 'stg', name: 'journal'}
// Never called: histories and owners are given.
const clients = {} as UnstickClients

async function planFor(histories: ReleaseHistory[], scope?: string): Promise<UnstickPlan> {
  const prepared = await Promise.all(
    histories.map((h) =>
      prepareUnstick(clients, {release: h.release, namespace: 'stg', history: h}, {pendingTimeoutMs: 0, owners: new Map([['stg/journal', owner]])}),
    ),
  )
  return {dryRun: true, clients, prepared, scope}
}

describe('helm unstick as a ChangeAction', () => {
  it('one release: each step is a change, the prompt is the steps, and --dry-run returns them planned', async () => {
    const plan = await planFor([history('journal', ['deployed', 'failed'])])
    const description = unstickAction.describe(plan)
    expect(description.changes).toHaveLength(2)
    expect(description.changes[0]).toMatch(/^roll release "journal" in stg back to revision 1 \(app-0\.1\.0, deployed\) with `helm rollback`/)
    expect(description.changes[1]).toBe('ask flux-v2 to reconcile HelmRelease stg/journal')
    expect(description.confirm).toBe(`${plan.prepared[0]?.plan.steps[0]?.text}, then ask flux-v2 to reconcile HelmRelease stg/journal`)
    expect(unstickAction.notExecuted(plan, 'dry-run')).toMatchObject({
      dryRun: true,
      releases: [{release: 'journal', outcome: 'planned', steps: [{action: 'rollback'}, {action: 'nudge'}]}],
    })
  })

  it('nothing to do: says what is true, for one release and for --all', async () => {
    const healthy = await planFor([history('journal', ['deployed'])])
    expect(unstickAction.describe(healthy)).toMatchObject({changes: [], nothingToDo: 'release "journal" in stg is deployed at revision 1; nothing to unstick'})
    expect(unstickAction.notExecuted(healthy, 'nothing-to-do').releases[0]?.outcome).toBe('nothing')
    const none = await planFor([], 'in stg')
    expect(unstickAction.describe(none)).toMatchObject({changes: [], nothingToDo: 'No failed or pending helm releases in stg; nothing to unstick.'})
    // --all where every stuck one needs a flag (a first install that failed: --uninstall)
    const refused = await planFor([history('search', ['failed'])], 'in stg')
    expect(unstickAction.describe(refused)).toMatchObject({changes: [], nothingToDo: 'Nothing can be done without a flag (see ◎ above); nothing was changed.'})
    expect(unstickAction.notExecuted(refused, 'nothing-to-do').releases[0]).toMatchObject({outcome: 'refused', refusal: {kind: 'conflict'}})
  })

  it('--all with several: the prompt counts them', async () => {
    const plan = await planFor([history('journal', ['deployed', 'failed']), history('reviewer', ['deployed', 'failed'])], 'in stg')
    const description = unstickAction.describe(plan)
    expect(description.changes.filter((c) => c.startsWith('roll release'))).toHaveLength(2)
    expect(description.confirm).toBe('unstick 2 helm releases as planned above')
  })
})
