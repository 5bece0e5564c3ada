import {type CheckOutcome, type DoctorCheck, listSome, objectRef, ok, plural} from './check.js'
import {conditionOf, core, type KubeObject} from './reader.js'

interface ContainerStatus {
  name?: string
  restartCount?: number
  state?: {waiting?: {reason?: string; message?: string}}
}

interface PodProblem {
  ref: string
  namespace: string
  reason: string
  /** For ordering worst first: restarts, or how long Pending. */
  weight: number
}

const brokenReasons = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'InvalidImageName',
  'RunContainerError',
])

/** Why a pod needs a look, or undefined: a container waiting for a broken reason, or Pending too long. */
export function podProblem(pod: KubeObject, now: Date, stuckAfterMs: number): PodProblem | undefined {
  if (pod.metadata?.deletionTimestamp) return undefined
  const status = pod.status as
    | {
        phase?: string
        containerStatuses?: ContainerStatus[]
        initContainerStatuses?: ContainerStatus[]
        conditions?: Array<{type?: string; reason?: string; message?: string}>
      }
    | undefined
  const ref = objectRef('Pod', pod.metadata)
  const namespace = pod.metadata?.namespace ?? ''
  for (const container of [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])]) {
    const reason = container.state?.waiting?.reason
    if (reason && brokenReasons.has(reason))
      return {
        ref,
        namespace,
        reason: `${reason} (container ${container.name}, ${plural(container.restartCount ?? 0, 'restart')})`,
        weight: 1e9 + (container.restartCount ?? 0),
      }
  }
  if (status?.phase === 'Pending') {
    const created = Date.parse(pod.metadata?.creationTimestamp ?? '')
    const pendingMs = now.getTime() - created
    if (Number.isFinite(created) && pendingMs > stuckAfterMs) {
      const unschedulable = status.conditions?.find((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable')
      return {ref, namespace, reason: `Pending for ${Math.round(pendingMs / 60_000)} min${unschedulable ? ' (Unschedulable)' : ''}`, weight: pendingMs}
    }
  }
  return undefined
}

function podOutcome(problems: PodProblem[], what: string, status: 'fail' | 'warn'): CheckOutcome {
  if (problems.length === 0) return ok(`no pod crash-looping, failing to pull or stuck Pending ${what}`)
  problems.sort((a, b) => b.weight - a.weight || a.ref.localeCompare(b.ref))
  const byNamespace = new Map<string, number>()
  for (const problem of problems) byNamespace.set(problem.namespace, (byNamespace.get(problem.namespace) ?? 0) + 1)
  const counts = [...byNamespace].sort((a, b) => b[1] - a[1]).map(([ns, n]) => `${ns} ${n}`)
  return {
    status,
    message: `${plural(problems.length, 'pod')} broken ${what} (${counts.join(', ')}); worst: ${problems[0].ref} ${problems[0].reason}`,
    objects: problems.map((p) => `${p.ref}: ${p.reason}`),
    fix: `see why with \`kubectl -n ${problems[0].namespace} describe pod ${problems[0].ref.split('/')[1]}\` and its logs`,
  }
}

export const systemPods: DoctorCheck = {
  id: 'system-pods',
  title: 'Pods in the system namespaces',
  async run({reader}, options) {
    const pods = (await reader.list(core('pods'))) ?? []
    const system = new Set(options.systemNamespaces)
    const problems = pods
      .filter((p) => system.has(p.metadata?.namespace ?? ''))
      .map((p) => podProblem(p, options.now, options.stuckAfterMs))
      .filter((p) => p !== undefined)
    return podOutcome(problems, `in ${options.systemNamespaces.join(', ')}`, 'fail')
  },
}

export const workloadPods: DoctorCheck = {
  id: 'pods',
  title: 'Pods in the other namespaces',
  async run({reader}, options) {
    const pods = (await reader.list(core('pods'))) ?? []
    const system = new Set(options.systemNamespaces)
    const problems = pods
      .filter((p) => !system.has(p.metadata?.namespace ?? ''))
      .map((p) => podProblem(p, options.now, options.stuckAfterMs))
      .filter((p) => p !== undefined)
    return podOutcome(problems, 'in the other namespaces', 'warn')
  },
}

export const nodes: DoctorCheck = {
  id: 'nodes',
  title: 'Nodes',
  async run({reader}) {
    const items = (await reader.list(core('nodes'))) ?? []
    const notReady = items.filter((n) => conditionOf(n, 'Ready')?.status !== 'True')
    const cordoned = items.filter((n) => (n.spec as {unschedulable?: boolean} | undefined)?.unschedulable)
    const name = (n: KubeObject) => n.metadata?.name ?? ''
    if (notReady.length > 0) {
      return {
        status: 'fail',
        message: `${notReady.length} of ${items.length} nodes not Ready: ${listSome(notReady.map((n) => `${name(n)} (${conditionOf(n, 'Ready')?.reason ?? 'no Ready condition'})`))}`,
        objects: notReady.map((n) => `Node ${name(n)}`),
        fix: `\`kubectl describe node ${name(notReady[0])}\`; on EKS, replace the instance if it does not recover`,
      }
    }
    if (cordoned.length > 0) {
      return {
        status: 'warn',
        message: `${items.length} nodes Ready, ${cordoned.length} cordoned: ${listSome(cordoned.map(name))}`,
        objects: cordoned.map((n) => `Node ${name(n)}`),
        fix: `\`kubectl uncordon ${name(cordoned[0])}\` once it is meant to take pods again`,
      }
    }
    return ok(`${plural(items.length, 'node')} Ready, none cordoned`)
  },
}

/**
 * A Deployment is reported once its rollout is stuck, not while it is merely in progress: the
 * controller gave up (Progressing=False, ProgressDeadlineExceeded), or it has lacked minimum
 * availability (Available=False) for longer than --stuck-after.
 */
export function deploymentProblem(deployment: KubeObject, now: Date, stuckAfterMs: number): string | undefined {
  const wanted = (deployment.spec as {replicas?: number} | undefined)?.replicas ?? 1
  const available = (deployment.status as {availableReplicas?: number} | undefined)?.availableReplicas ?? 0
  if (wanted === 0 || available >= wanted) return undefined
  const counts = `${available}/${wanted}`
  const progressing = conditionOf(deployment, 'Progressing')
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') return `${counts}, rollout stuck (ProgressDeadlineExceeded)`
  const availability = conditionOf(deployment, 'Available')
  const since = Date.parse(availability?.status === 'False' ? (availability.lastTransitionTime ?? '') : (deployment.metadata?.creationTimestamp ?? ''))
  if (Number.isFinite(since) && now.getTime() - since > stuckAfterMs) return `${counts} for ${Math.max(1, Math.round((now.getTime() - since) / 60_000))} min`
  return undefined
}

export const deployments: DoctorCheck = {
  id: 'deployments',
  title: 'Deployments',
  async run({reader}, options) {
    const items = (await reader.list({group: 'apps', version: 'v1', plural: 'deployments'})) ?? []
    const problems = items.flatMap((d) => {
      const problem = deploymentProblem(d, options.now, options.stuckAfterMs)
      return problem ? [`${objectRef('Deployment', d.metadata)} ${problem}`] : []
    })
    if (problems.length === 0) return ok(`${plural(items.length, 'Deployment')}, none stuck without its replicas`)
    return {
      status: 'fail',
      message: `${problems.length} of ${items.length} Deployments stuck without all replicas available: ${listSome(problems)}`,
      objects: problems,
      fix: 'see the pods checks above, or `kubectl -n NS rollout status deployment NAME`',
    }
  },
}
