import {type DoctorCheck, listSome, objectRef, ok, plural} from './check.js'
import {core, type KubeObject, type Resource} from './reader.js'

const canaries: Resource = {group: 'flagger.app', version: 'v1beta1', plural: 'canaries'}

/** Flagger's last word on a canary: the newest Event about it, else its Promoted condition's message. */
function lastEvent(canary: KubeObject, events: KubeObject[]): string | undefined {
  const mine = events
    .filter((e) => {
      const involved = e.involvedObject as {kind?: string; name?: string; namespace?: string} | undefined
      return involved?.kind === 'Canary' && involved.name === canary.metadata?.name && involved.namespace === canary.metadata?.namespace
    })
    .sort((a, b) => String(b.lastTimestamp ?? b.eventTime ?? '').localeCompare(String(a.lastTimestamp ?? a.eventTime ?? '')))
  const message = (mine[0]?.message as string | undefined) ?? (canary.status as {conditions?: Array<{type?: string; message?: string}>} | undefined)?.conditions?.find((c) => c.type === 'Promoted')?.message
  return message?.split('\n')[0]
}

export const canaryStatus: DoctorCheck = {
  id: 'canaries',
  title: 'Flagger canaries',
  async run({reader}, options) {
    const items = await reader.list(canaries)
    if (items === undefined) return {status: 'skipped', message: 'Flagger\'s Canary CRD (flagger.app) is not installed'}
    if (items.length === 0) return ok('no Canary objects')
    const failed: string[] = []
    const stuck: string[] = []
    const events = items.some((c) => ['Failed', 'Progressing', 'Waiting'].includes(String((c.status as {phase?: string} | undefined)?.phase))) ? ((await reader.list(core('events')).catch(() => [])) ?? []) : []
    for (const canary of items) {
      const status = (canary.status ?? {}) as {phase?: string; lastTransitionTime?: string; failedChecks?: number}
      const ref = objectRef('Canary', canary.metadata)
      const said = lastEvent(canary, events)
      if (status.phase === 'Failed') failed.push(`${ref} Failed${status.failedChecks ? ` after ${plural(status.failedChecks, 'failed check')}` : ''}${said ? `: ${said}` : ''}`)
      else if (status.phase === 'Progressing' || status.phase === 'Waiting') {
        const since = Date.parse(status.lastTransitionTime ?? '')
        if (Number.isFinite(since) && options.now.getTime() - since > options.stuckAfterMs) stuck.push(`${ref} ${status.phase} for ${Math.round((options.now.getTime() - since) / 60_000)} min${said ? `: ${said}` : ''}`)
      }
    }
    if (failed.length > 0) return {status: 'fail', message: `${failed.length} of ${plural(items.length, 'canary', 'canaries')} failed: ${listSome(failed, 3)}`, objects: [...failed, ...stuck], fix: 'see `kubectl -n NS describe canary NAME`; Flagger rolled back, so fix the release and push a new version'}
    if (stuck.length > 0) return {status: 'warn', message: `${plural(stuck.length, 'canary', 'canaries')} stuck: ${listSome(stuck, 3)}`, objects: stuck, fix: 'check the canary\'s metrics and webhooks (flagger-loadtester) and `kubectl -n NS describe canary NAME`'}
    return ok(`${plural(items.length, 'canary', 'canaries')}, none failed or stuck`)
  },
}
