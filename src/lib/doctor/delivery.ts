import {type DoctorCheck, listSome, objectRef, ok, plural} from './check.js'
import {core, type KubeObject, type Resource} from './reader.js'
import {findingLine, liveDocuments, liveFlaggerRules, runLiveRules} from './rules.js'

const canaries: Resource = {group: 'flagger.app', version: 'v1beta1', plural: 'canaries'}

/** Flagger's last word on a canary: the newest Event about it, else its Promoted condition's message. */
function lastEvent(canary: KubeObject, events: KubeObject[]): string | undefined {
  const mine = events
    .filter((e) => {
      const involved = e.involvedObject as {kind?: string; name?: string; namespace?: string} | undefined
      return involved?.kind === 'Canary' && involved.name === canary.metadata?.name && involved.namespace === canary.metadata?.namespace
    })
    .sort((a, b) => String(b.lastTimestamp ?? b.eventTime ?? '').localeCompare(String(a.lastTimestamp ?? a.eventTime ?? '')))
  const message =
    (mine[0]?.message as string | undefined) ??
    (canary.status as {conditions?: Array<{type?: string; message?: string}>} | undefined)?.conditions?.find((c) => c.type === 'Promoted')?.message
  return message?.split('\n')[0]
}

export const canaryStatus: DoctorCheck = {
  id: 'canaries',
  title: 'Flagger canaries',
  async run({reader}, options) {
    const items = await reader.list(canaries)
    if (items === undefined) return {status: 'skipped', message: "Flagger's Canary CRD (flagger.app) is not installed"}
    if (items.length === 0) return ok('no Canary objects')
    const failed: string[] = []
    const stuck: string[] = []
    const events = items.some((c) => ['Failed', 'Progressing', 'Waiting'].includes(String((c.status as {phase?: string} | undefined)?.phase)))
      ? ((await reader.list(core('events')).catch(() => [])) ?? [])
      : []
    for (const canary of items) {
      const status = (canary.status ?? {}) as {phase?: string; lastTransitionTime?: string; failedChecks?: number}
      const ref = objectRef('Canary', canary.metadata)
      const said = lastEvent(canary, events)
      if (status.phase === 'Failed')
        failed.push(`${ref} Failed${status.failedChecks ? ` after ${plural(status.failedChecks, 'failed check')}` : ''}${said ? `: ${said}` : ''}`)
      else if (status.phase === 'Progressing' || status.phase === 'Waiting') {
        const since = Date.parse(status.lastTransitionTime ?? '')
        if (Number.isFinite(since) && options.now.getTime() - since > options.stuckAfterMs)
          stuck.push(`${ref} ${status.phase} for ${Math.round((options.now.getTime() - since) / 60_000)} min${said ? `: ${said}` : ''}`)
      }
    }
    if (failed.length > 0)
      return {
        status: 'fail',
        message: `${failed.length} of ${plural(items.length, 'canary', 'canaries')} failed: ${listSome(failed, 3)}`,
        objects: [...failed, ...stuck],
        fix: 'see `kubectl -n NS describe canary NAME`; Flagger rolled back, so fix the release and push a new version',
      }
    if (stuck.length > 0)
      return {
        status: 'warn',
        message: `${plural(stuck.length, 'canary', 'canaries')} stuck: ${listSome(stuck, 3)}`,
        objects: stuck,
        fix: "check the canary's metrics and webhooks (flagger-loadtester) and `kubectl -n NS describe canary NAME`",
      }
    return ok(`${plural(items.length, 'canary', 'canaries')}, none failed or stuck`)
  },
}

const flagger = (plural: string): Resource => ({group: 'flagger.app', version: 'v1beta1', plural})

/**
 * The runbook's Flagger gotchas, checked on the live Canaries by `elife-k8s lint`'s rules: analysis
 * steps, metric intervals under 1m, nginx metrics read in the Canary's namespace while the
 * controller runs in adm, templateRef/providerRef that name nothing.
 */
export const canaryRules: DoctorCheck = {
  id: 'canary-rules',
  title: "Flagger gotchas on the live canaries (lint's rules)",
  async run({reader}) {
    const [items, templates, providers, deployments, daemonSets] = await Promise.all([
      reader.list(canaries),
      reader.list(flagger('metrictemplates')),
      reader.list(flagger('alertproviders')),
      reader.list({group: 'apps', version: 'v1', plural: 'deployments'}),
      reader.list({group: 'apps', version: 'v1', plural: 'daemonsets'}),
    ])
    if (items === undefined) return {status: 'skipped', message: "Flagger's Canary CRD (flagger.app) is not installed"}
    if (items.length === 0) return ok('no Canary objects')
    const cluster = reader.kc.getCurrentContext()
    const documents = [
      ...liveDocuments(items, 'flagger.app/v1beta1', 'Canary', cluster),
      ...liveDocuments(templates ?? [], 'flagger.app/v1beta1', 'MetricTemplate', cluster),
      ...liveDocuments(providers ?? [], 'flagger.app/v1beta1', 'AlertProvider', cluster),
      ...liveDocuments(deployments ?? [], 'apps/v1', 'Deployment', cluster),
      ...liveDocuments(daemonSets ?? [], 'apps/v1', 'DaemonSet', cluster),
    ]
    const findings = runLiveRules(documents, liveFlaggerRules)
    if (findings.length === 0)
      return ok(`${plural(items.length, 'canary', 'canaries')} pass lint's Flagger rules (${liveFlaggerRules.map((r) => r.id).join(', ')})`)
    const lines = findings.map((f) => `${findingLine(f)} [${f.rule}]`)
    return {
      status: 'fail',
      message: `${plural(findings.length, 'Flagger gotcha')}: ${listSome(lines, 2)}`,
      objects: lines,
      fix: `fix the Canary in the GitOps repository: ${findings[0].hint} (\`elife-k8s lint\` shows the line)`,
    }
  },
}
