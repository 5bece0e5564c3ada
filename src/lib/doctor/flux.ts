import {ApiextensionsV1Api, CoreV1Api} from '@kubernetes/client-node'

import {CliError} from '../errors.js'
import {detectGeneration, type DetectedGeneration} from '../flux/generation.js'
import {fluxdPort, withFluxd} from '../flux/v1.js'
import {summarizeToolkitObject} from '../flux/v2.js'
import {formatAge, kustomizationSyncTime, minStaleAfterMs, sourceArtifactLine, staleIntervals} from './flux-time.js'
import {fluxdErrorLine, fluxdSyncHistory} from './fluxd-log.js'
import {type CheckOutcome, type DoctorCheck, type DoctorContext, type DoctorOptions, listSome, ok, plural} from './check.js'
import {core, conditionOf, type KubeObject} from './reader.js'
import {formatGoDuration, parseGoDuration} from '../duration.js'
import {httpStatus, statusMessage} from '../kube/errors.js'

/** Which Flux runs here, decided once per run for the three flux checks (`flux sync`'s own detection). */
function generation(ctx: DoctorContext, options: DoctorOptions): Promise<DetectedGeneration | undefined> {
  return ctx.reader.shared('flux generation', async () => {
    try {
      return await detectGeneration({core: ctx.api(CoreV1Api), extensions: ctx.api(ApiextensionsV1Api)}, {forwardNamespace: options.fluxNamespace})
    } catch (error) {
      if (error instanceof CliError && error.kind === 'not-found') return undefined
      throw error
    }
  })
}

const noFlux = (options: DoctorOptions): CheckOutcome => ({
  status: 'fail',
  message: `no Flux found: no fluxd pod (app=flux) in ${options.fluxNamespace} and no Flux v2 toolkit CRDs`,
  fix: 'elife-k8s bootstrap --git-url URL --dry-run (the runbook\'s "Bootstrapping the cluster to use flux"), or --flux-namespace if it runs elsewhere',
})

function podReady(pod: KubeObject): boolean {
  return (pod.status as {phase?: string} | undefined)?.phase === 'Running' && conditionOf(pod, 'Ready')?.status === 'True' && !pod.metadata?.deletionTimestamp
}

/** The runbook's two Flux v1 components (fluxcd/flux and fluxcd/helm-operator charts' `app` labels). */
const v1Components = [
  {name: 'fluxd', selector: 'app=flux'},
  {name: 'helm-operator', selector: 'app=helm-operator'},
]
const v2Controllers = ['source-controller', 'kustomize-controller', 'helm-controller', 'notification-controller']

export const fluxControllers: DoctorCheck = {
  id: 'flux-controllers',
  title: 'Flux controllers',
  async run(ctx, options) {
    const detected = await generation(ctx, options)
    if (!detected) return noFlux(options)
    if (detected.generation === 'v1') {
      const missing: string[] = []
      for (const component of v1Components) {
        const pods = (await ctx.reader.list(core('pods'), {namespace: options.fluxNamespace, labelSelector: component.selector})) ?? []
        if (!pods.some(podReady))
          missing.push(
            `${component.name} (${component.selector}: ${pods.length === 0 ? 'no pod' : pods.map((p) => `${p.metadata?.name} ${(p.status as {phase?: string}).phase ?? '?'}`).join(', ')})`,
          )
      }
      if (missing.length > 0)
        return {
          status: 'fail',
          message: `Flux v1 in ${options.fluxNamespace}: not Running and Ready: ${missing.join('; ')}`,
          fix: `elife-k8s logs ${missing[0].startsWith('fluxd') ? 'flux' : 'helm-operator'} -n ${options.fluxNamespace}`,
        }
      return ok(`Flux v1 in ${options.fluxNamespace}: fluxd and helm-operator Running and Ready`)
    }
    const deployments = (await ctx.reader.list({group: 'apps', version: 'v1', plural: 'deployments'}, {namespace: 'flux-system'})) ?? []
    const problems = v2Controllers.flatMap((name) => {
      const deployment = deployments.find((d) => d.metadata?.name === name)
      if (!deployment) return name === 'notification-controller' ? [] : [`${name} not installed`]
      return conditionOf(deployment, 'Available')?.status === 'True' ? [] : [`${name} not Available`]
    })
    if (problems.length > 0)
      return {status: 'fail', message: `Flux v2 in flux-system: ${problems.join(', ')}`, fix: 'flux check; kubectl -n flux-system get deployments'}
    return ok('Flux v2 controllers in flux-system are Available')
  },
}

export const fluxSync: DoctorCheck = {
  id: 'flux-sync',
  title: 'Flux sync with Git',
  async run(ctx, options) {
    const detected = await generation(ctx, options)
    if (!detected) return noFlux(options)
    if (detected.generation === 'v1') {
      // Read-only: fluxd's repository status and the commits it has not applied, as `flux sync`
      // reaches them (a port-forward to fluxd), without starting a sync job.
      const status = await withFluxd(
        ctx.reader.kc,
        ctx.api(CoreV1Api),
        options.fluxNamespace,
        fluxdPort,
        async (fluxd, pod) => {
          const config = await fluxd.gitRepoConfig()
          const pending = config.status === 'ready' && config.remote.branch ? await fluxd.pendingCommits(config.remote.branch) : []
          return {config, pending, pod}
        },
        ctx.signal,
      )
      const {config, pending} = status
      if (config.status !== 'ready') {
        return {
          status: 'fail',
          message: `fluxd cannot sync: git repository ${config.remote.url || '(none configured)'} is ${config.status}${config.errors ? ` (${fluxdErrorLine(config.errors)})` : ''}`,
          fix: 'elife-k8s flux identity, and add the key to the repository as a deploy key with write access',
        }
      }
      // fluxd's API gives no time of its last sync: its sync loop's log lines do.
      const last = await lastFluxdSync(ctx, options, status.pod)
      const logs = `elife-k8s logs flux -n ${options.fluxNamespace}`
      if (last.failed)
        return {
          status: 'fail',
          message: `fluxd's last sync failed ${last.failed}`,
          objects: last.objects,
          fix: `${logs} (fluxd's sync loop), fix what it says in the repository or the cluster, then elife-k8s flux sync`,
        }
      if (pending.length > 0)
        return {
          status: 'warn',
          message: `fluxd has ${plural(pending.length, 'commit')} of ${config.remote.branch} not applied yet; ${last.text}`,
          objects: last.objects,
          fix: `elife-k8s flux sync (then \`${logs}\` if it does not catch up)`,
        }
      if (last.warn)
        return {
          status: 'warn',
          message: `fluxd is in sync with ${config.remote.url} (${config.remote.branch}), but ${last.text}`,
          objects: last.objects,
          fix: last.warn === 'stale' ? `fluxd may be stuck: ${logs}, then elife-k8s flux sync` : `${logs}, then fix the resources it could not apply`,
        }
      return ok(`fluxd is in sync with ${config.remote.url} (${config.remote.branch}); ${last.text}`, last.objects)
    }
    // Sources and Kustomizations, each kind read once (through the reader the other checks share).
    const listed = await Promise.all(
      detected.served
        .filter((s) => s.kind !== 'HelmRelease')
        .map(async (s) => ({kind: s.kind, items: (await ctx.reader.list({group: s.group, version: s.version, plural: s.plural})) ?? []})),
    )
    const itemsOf = (kind: string) => listed.find((l) => l.kind === kind)?.items ?? []
    const objects = listed.flatMap(({kind, items}) => items.map((object) => summarizeToolkitObject(kind, object)))
    const notReady = objects.filter((o) => o.ready !== 'True' && !o.suspended)
    const suspended = objects.filter((o) => o.suspended)
    if (notReady.length > 0) {
      const line = (o: (typeof objects)[number]) =>
        `${o.kind} ${o.namespace}/${o.name}: ${[o.reason, o.message?.split('\n')[0]].filter(Boolean).join(': ') || o.ready}`
      return {
        status: 'fail',
        message: `${notReady.length} of ${objects.length} sources and Kustomizations not Ready: ${listSome(notReady.map(line), 3)}`,
        objects: notReady.map(line),
        fix: 'elife-k8s flux sync (reconciles and reports Ready)',
      }
    }
    if (suspended.length > 0)
      return {
        status: 'warn',
        message: `${plural(suspended.length, 'object')} suspended: ${listSome(suspended.map((o) => `${o.kind} ${o.namespace}/${o.name}`))}`,
        fix: 'flux resume …',
      }
    const revisions = [...new Set(objects.map((o) => o.revision).filter((r): r is string => Boolean(r)))]
    const ready = `${plural(objects.length, 'source and Kustomization', 'sources and Kustomizations')} Ready${revisions.length ? ` (at ${listSome(revisions, 2)})` : ''}`
    // When each Kustomization last applied successfully: Ready stays True while a stopped
    // kustomize-controller applies nothing, so the time is what tells.
    const kustomizations = itemsOf('Kustomization').filter((k) => !(k.spec as {suspend?: boolean} | undefined)?.suspend)
    const sources = itemsOf('GitRepository')
    const times = kustomizations.map((k) => kustomizationSyncTime(k, options.now, options.syncStaleAfterMs))
    const lines = [...times.map((t) => t.line), ...sources.map((g) => sourceArtifactLine({kind: 'GitRepository', ...g}, options.now))]
    const stale = times.filter((t) => t.stale)
    if (stale.length > 0) {
      const line = (t: (typeof stale)[number]) => `${t.ref} last applied ${formatAge(t.stale!.ageMs)} ago (more than ${t.stale!.limit})`
      return {
        status: 'warn',
        message: `${ready}, but ${plural(stale.length, 'Kustomization')} not applied for longer than expected: ${listSome(stale.map(line), 3)}`,
        objects: lines,
        fix: 'kustomize-controller may be stopped or stuck: kubectl -n flux-system logs deploy/kustomize-controller, then elife-k8s flux sync',
      }
    }
    const timed = times.filter((t) => t.appliedAt).sort((a, b) => a.appliedAt!.getTime() - b.appliedAt!.getTime())
    const when =
      timed.length > 0
        ? `; last applied ${formatAge(options.now.getTime() - timed[0].appliedAt!.getTime())} ago${timed.length > 1 ? ` at the oldest (${timed[0].ref})` : ''}`
        : times.length > 0
          ? '; kustomize-controller records no apply times here (no status.history): not compared'
          : ''
    const untimed = timed.length > 0 && timed.length < times.length ? `; ${plural(times.length - timed.length, 'Kustomization')} without status.history` : ''
    return ok(`${ready}${when}${untimed}`, lines.length > 0 ? lines : undefined)
  },
}

/** How many of fluxd's last log lines are read for its sync loop's lines (a bounded tail). */
export const fluxdLogTail = 5000
/** fluxd's --sync-interval default (fluxcd/flux cmd/fluxd). */
const fluxdDefaultSyncInterval = 5 * 60_000

interface LastSync {
  /** "<age> ago: <error>" when the last sync failed. */
  failed?: string
  /** stale: no sync within the limit; resources: the last sync could not apply some resources. */
  warn?: 'stale' | 'resources'
  text: string
  objects?: string[]
}

/**
 * fluxd's last sync and its outcome, from its sync loop's lines in the last `fluxdLogTail` lines of
 * its log (pods/log, as `elife-k8s logs flux` reads it). Not allowed to read the log, or the log not
 * served: said so, and the check reports what the API gave.
 */
async function lastFluxdSync(ctx: DoctorContext, options: DoctorOptions, podName: string): Promise<LastSync> {
  const pods = (await ctx.reader.list(core('pods'), {namespace: options.fluxNamespace, labelSelector: 'app=flux'})) ?? []
  const pod = pods.find((p) => p.metadata?.name === podName)
  const settings = fluxdPodSettings(pod)
  const limit =
    options.syncStaleAfterMs !== undefined
      ? {ms: options.syncStaleAfterMs, why: `--sync-stale-after ${formatGoDuration(options.syncStaleAfterMs)}`}
      : settings.syncIntervalMs * staleIntervals < minStaleAfterMs
        ? {ms: minStaleAfterMs, why: formatGoDuration(minStaleAfterMs)}
        : {ms: settings.syncIntervalMs * staleIntervals, why: `${staleIntervals} × its --sync-interval ${formatGoDuration(settings.syncIntervalMs)}`}
  let text: string
  try {
    text = await ctx.api(CoreV1Api).readNamespacedPodLog({
      name: podName,
      namespace: options.fluxNamespace,
      container: settings.container,
      tailLines: fluxdLogTail,
      timestamps: true,
    })
  } catch (error) {
    const why =
      httpStatus(error) === 403 ? `not allowed to get pods/log in namespace "${options.fluxNamespace}"` : `its log could not be read (${firstLogError(error)})`
    return {text: `the time of its last sync is not known: ${why}`}
  }
  const history = fluxdSyncHistory(String(text ?? ''))
  const now = options.now.getTime()
  const ago = (at: Date) => `${formatAge(now - at.getTime())} ago`
  const last = history.syncs.at(-1)
  const lastGood = [...history.syncs].reverse().find((s) => !s.failed)
  const span = history.lines >= fluxdLogTail && history.firstAt ? `in the last ${fluxdLogTail} lines of its log (since ${ago(history.firstAt)})` : 'in its log'
  const objects = history.syncs
    .slice(-3)
    .map(
      (s) =>
        `sync started ${s.at.toISOString()}: ${s.failed ? `failed: ${fluxdErrorLine(s.failed.err)}` : s.resourceErrors ? `some resources not applied: ${fluxdErrorLine(s.resourceErrors)}` : 'no error logged'}`,
    )
  if (last?.failed) {
    const since = lastGood ? `; the last sync without an error started ${ago(lastGood.at)}` : `; no sync without an error ${span}`
    return {failed: `${ago(last.failed.at)}: ${fluxdErrorLine(last.failed.err)}${since}`, text: '', objects}
  }
  if (!last) {
    // No sync line at all: stale when what was read goes back further than the limit.
    const readBack = history.firstAt ? now - history.firstAt.getTime() : 0
    if (readBack > limit.ms || (history.lines < fluxdLogTail && pod && now - Date.parse(pod.metadata?.creationTimestamp ?? '') > limit.ms))
      return {warn: 'stale', text: `it logged no sync ${span} (expected at least every ${limit.why})`}
    return {text: `it logged no sync ${span} yet: the time of its last sync is not known`}
  }
  const age = now - last.at.getTime()
  if (age > limit.ms) return {warn: 'stale', text: `its last sync started ${ago(last.at)} (more than ${limit.why})`, objects}
  if (last.resourceErrors)
    return {warn: 'resources', text: `its last sync (${ago(last.at)}) could not apply some resources: ${fluxdErrorLine(last.resourceErrors)}`, objects}
  return {text: `last sync started ${ago(last.at)}, no error logged since`, objects}
}

function firstLogError(error: unknown): string {
  return (statusMessage(error) || (error instanceof Error ? error.message : String(error))).split('\n')[0]
}

/** The flux container (the chart names it flux) and fluxd's --sync-interval from its arguments. */
function fluxdPodSettings(pod: KubeObject | undefined): {container?: string; syncIntervalMs: number} {
  const containers = (pod?.spec as {containers?: Array<{name: string; image?: string; command?: string[]; args?: string[]}>} | undefined)?.containers ?? []
  const container = containers.find((c) => c.name === 'flux') ?? containers.find((c) => /(^|\/)flux[:@]/.test(c.image ?? '')) ?? containers[0]
  const argv = [...(container?.command ?? []), ...(container?.args ?? [])]
  let interval: number | undefined
  for (let i = 0; i < argv.length; i++) {
    const match = /^--?sync-interval(?:=(.*))?$/.exec(argv[i])
    if (!match) continue
    const value = match[1] ?? argv[++i]
    interval = parseGoDuration(value) ?? interval
  }
  return {container: container?.name, syncIntervalMs: interval ?? fluxdDefaultSyncInterval}
}

export const fluxDeployKey: DoctorCheck = {
  id: 'flux-deploy-key',
  title: 'Flux deploy key',
  async run(ctx, options) {
    const detected = await generation(ctx, options)
    if (!detected) return noFlux(options)
    if (detected.generation === 'v1') {
      // The chart's default --k8s-secret-name; fluxd generates the key into it on first start.
      const secret = await ctx.reader.get(core('secrets'), 'flux-git-deploy', options.fluxNamespace)
      if (!secret)
        return {
          status: 'fail',
          message: `no Secret flux-git-deploy in ${options.fluxNamespace}: fluxd has no SSH key for Git`,
          fix: 'elife-k8s bootstrap --only flux (the flux chart creates it)',
        }
      if (!secret.data?.identity)
        return {
          status: 'fail',
          message: `Secret ${options.fluxNamespace}/flux-git-deploy has no "identity" key yet: fluxd has not generated its SSH key`,
          fix: `elife-k8s logs flux -n ${options.fluxNamespace}`,
        }
      return ok(`Secret ${options.fluxNamespace}/flux-git-deploy holds fluxd's key (see it with \`elife-k8s flux identity\`)`)
    }
    const repos = (
      (await ctx.reader.list({
        group: 'source.toolkit.fluxcd.io',
        version: detected.served.find((s) => s.kind === 'GitRepository')?.version ?? 'v1',
        plural: 'gitrepositories',
      })) ?? []
    ).filter((r) => /^(ssh:|git@)/.test(String((r.spec as {url?: string} | undefined)?.url ?? '')))
    const missing: string[] = []
    for (const repo of repos) {
      const secretName = (repo.spec as {secretRef?: {name?: string}}).secretRef?.name
      const secret = secretName ? await ctx.reader.get(core('secrets'), secretName, repo.metadata?.namespace) : undefined
      if (!secret?.data?.identity)
        missing.push(
          `GitRepository ${repo.metadata?.namespace}/${repo.metadata?.name} (${secretName ? `Secret ${secretName} without identity` : 'no secretRef'})`,
        )
    }
    if (missing.length > 0)
      return {status: 'fail', message: `no SSH key for ${listSome(missing)}`, fix: 'flux create secret git …, then elife-k8s flux identity'}
    return repos.length === 0
      ? ok('no GitRepository uses SSH: no deploy key needed')
      : ok(`${plural(repos.length, 'SSH GitRepository', 'SSH GitRepositories')} with a key`)
  },
}
