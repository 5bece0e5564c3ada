// The local test cluster's harness (harness.mjs is its public API).
// Fixtures: apply and wait until ready.

import path from 'node:path'

import {EXPECT_ANNOTATION, FIELD_MANAGER, FIXTURES_DIR, NODES_FIXTURE, run, sleep} from './common.mjs'
import {isOurProcess, logTail, readPid} from './processes.mjs'
import {apiGet} from './api.mjs'

function kubectlApplyArgs(state) {
  return [`--kubeconfig=${state.kubeconfig}`, 'apply', '--server-side', '--force-conflicts', `--field-manager=${FIELD_MANAGER}`]
}

async function withRetries(what, fn, attempts = 3) {
  for (let i = 1; ; i++) {
    try {
      return await fn()
    } catch (err) {
      if (i >= attempts) throw err
      await sleep(1000 * i)
    }
  }
}

/**
 * Nodes first: a Node's status is ignored by a plain apply, so the EKS-like addresses, capacity
 * and node info in the fixture are applied again through the status subresource.
 */
export async function applyNodes(state) {
  const kubectl = state.binaries.kubectl
  await withRetries('nodes', () => run(kubectl, [...kubectlApplyArgs(state), '-f', NODES_FIXTURE]))
  await withRetries('node status', () => run(kubectl, [...kubectlApplyArgs(state), '--subresource=status', '-f', NODES_FIXTURE]))
}

/** Applies every fixture (idempotent: server-side apply, forced), returns the applied objects. */
export async function applyAll(state) {
  const {stdout} = await withRetries('fixtures', () => run(state.binaries.kubectl, [...kubectlApplyArgs(state), '-f', FIXTURES_DIR, '-o', 'json']))
  const parsed = JSON.parse(stdout)
  return parsed.kind === 'List' ? parsed.items : [parsed]
}

function workloadProblem(kind, o) {
  const s = o.status ?? {}
  if ((s.observedGeneration ?? 0) < (o.metadata.generation ?? 0)) return 'change not yet observed'
  if (kind === 'DaemonSet') {
    const want = s.desiredNumberScheduled ?? 0
    if (want === 0) return 'no node scheduled yet'
    if ((s.numberReady ?? 0) !== want || (s.updatedNumberScheduled ?? 0) !== want) return `${s.numberReady ?? 0}/${want} ready`
    return null
  }
  const want = o.spec.replicas ?? 1
  if ((s.readyReplicas ?? 0) !== want) return `${s.readyReplicas ?? 0}/${want} ready`
  if (kind === 'Deployment' && ((s.updatedReplicas ?? 0) !== want || (s.replicas ?? 0) !== want || (s.availableReplicas ?? 0) !== want))
    return 'rollout in progress'
  if (kind === 'StatefulSet' && s.updateRevision && s.currentRevision !== s.updateRevision) return 'rollout in progress'
  return null
}

function podSummary(p) {
  const cond = (type) => p.status?.conditions?.find((c) => c.type === type)
  const scheduled = cond('PodScheduled')
  const waiting = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].map((c) => c.state?.waiting?.reason).filter(Boolean)
  const why =
    scheduled?.status === 'False'
      ? `unscheduled: ${scheduled.message ?? scheduled.reason}`
      : waiting.length
        ? `waiting: ${[...new Set(waiting)].join(',')}`
        : `ready=${cond('Ready')?.status ?? '?'}`
  return `${p.metadata.namespace}/${p.metadata.name} ${p.status?.phase ?? '?'} on ${p.spec.nodeName || '-'} (${why})`
}

/**
 * Waits until the fixture nodes are Ready and every fixture workload is fully ready, except
 * those annotated `elife-k8s.test/expect: unschedulable`. On timeout, says which pods are not
 * running and where the logs are.
 */
export async function waitForFixtures(state, applied, {timeoutMs, log}) {
  const nodeNames = applied.filter((o) => o.kind === 'Node').map((o) => o.metadata.name)
  const workloads = applied.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind))
  const expectedPending = workloads.filter((o) => o.metadata.annotations?.[EXPECT_ANNOTATION] === 'unschedulable')
  const waitedOn = workloads.filter((o) => !expectedPending.includes(o))
  const namespaces = [...new Set(workloads.map((o) => o.metadata.namespace))]
  const key = (kind, ns, name) => `${kind}/${ns}/${name}`
  const want = new Set(waitedOn.map((o) => key(o.kind, o.metadata.namespace, o.metadata.name)))
  const isExpectedPending = (pod) =>
    expectedPending.some((w) => w.metadata.namespace === pod.metadata.namespace && pod.metadata.name.startsWith(`${w.metadata.name}-`))

  let problems
  const deadline = Date.now() + timeoutMs
  let lastReport = 0
  for (;;) {
    // Fail fast, with the reason, if a process the fixtures depend on has died.
    for (const name of ['kube-controller-manager', 'kube-scheduler', 'kubelet-front', 'kwok']) {
      if (!isOurProcess(readPid(state.stateDir, name), state.stateDir)) {
        const file = path.join(state.stateDir, 'logs', `${name}.log`)
        throw new Error(`${name} is not running; last lines of ${file}:\n${logTail(file)}`)
      }
    }
    problems = []
    const nodes = (await apiGet(state, '/api/v1/nodes')).items
    for (const name of nodeNames) {
      const node = nodes.find((n) => n.metadata.name === name)
      const ready = node?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
      if (!ready) problems.push(`node ${name} not Ready`)
    }
    for (const [kind, plural] of [
      ['Deployment', 'deployments'],
      ['StatefulSet', 'statefulsets'],
      ['DaemonSet', 'daemonsets'],
    ]) {
      const seen = new Set()
      for (const o of (await apiGet(state, `/apis/apps/v1/${plural}`)).items) {
        const k = key(kind, o.metadata.namespace, o.metadata.name)
        if (!want.has(k)) continue
        seen.add(k)
        const problem = workloadProblem(kind, o)
        if (problem) problems.push(`${kind.toLowerCase()} ${o.metadata.namespace}/${o.metadata.name}: ${problem}`)
      }
      for (const k of want) if (k.startsWith(`${kind}/`) && !seen.has(k)) problems.push(`${k} missing`)
    }
    if (!problems.length) break
    if (Date.now() > deadline) {
      const pods = (await apiGet(state, '/api/v1/pods')).items.filter((p) => namespaces.includes(p.metadata.namespace))
      const notRunning = pods.filter(
        (p) => !isExpectedPending(p) && !(p.status?.phase === 'Running' && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')),
      )
      const logs = path.join(state.stateDir, 'logs')
      throw new Error(
        `fixtures not ready after ${Math.round(timeoutMs / 1000)}s:\n  ${problems.join('\n  ')}\n` +
          `pods not running (${notRunning.length}):\n  ${notRunning.map(podSummary).join('\n  ') || '(none listed yet)'}\n` +
          `see the logs in ${logs} (kwok.log plays the kubelets, kube-scheduler.log, kube-controller-manager.log)`,
      )
    }
    if (Date.now() - lastReport > 5000) {
      log(`waiting for fixtures: ${problems.length} not ready yet (${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; ...' : ''})`)
      lastReport = Date.now()
    }
    await sleep(500)
  }
  const pods = (await apiGet(state, '/api/v1/pods')).items.filter((p) => namespaces.includes(p.metadata.namespace))
  return {
    nodes: nodeNames.length,
    pods: pods.length,
    running: pods.filter((p) => p.status?.phase === 'Running').length,
    pendingByDesign: pods.filter(isExpectedPending).length,
  }
}
