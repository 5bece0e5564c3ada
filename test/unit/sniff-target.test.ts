import type {V1Pod} from '@kubernetes/client-node'
import {describe, expect, it} from 'vitest'

import {CliError, ExitCode} from '../../src/lib/errors.js'
import {checkPodRunning, chooseContainer, isKnownSidecar, workloadName} from '../../src/lib/sniff/target.js'

const pod = (
  containers: string[],
  extra: {labels?: Record<string, string>; annotations?: Record<string, string>; owner?: string; hash?: string} = {},
): V1Pod => ({
  metadata: {
    name: 'journal-6d9f7c5b8-x2x7q',
    namespace: 'prod',
    labels: {...extra.labels, ...(extra.hash ? {'pod-template-hash': extra.hash} : {})},
    annotations: extra.annotations,
    ownerReferences: extra.owner ? [{apiVersion: 'apps/v1', kind: 'ReplicaSet', name: extra.owner, uid: 'u', controller: true}] : undefined,
  },
  spec: {containers: containers.map((name) => ({name, image: `${name}:1`}))},
  status: {
    phase: 'Running',
    containerStatuses: containers.map((name) => ({name, image: `${name}:1`, imageID: '', ready: true, restartCount: 0, state: {running: {}}})),
  },
})

describe('chooseContainer', () => {
  it('takes -c when it exists, and lists the containers when it does not', () => {
    expect(chooseContainer(pod(['journal', 'istio-proxy']), 'istio-proxy')).toEqual({name: 'istio-proxy', reason: 'given with -c'})
    const error = (() => {
      try {
        chooseContainer(pod(['journal', 'istio-proxy']), 'nginx')
      } catch (e) {
        return e as CliError
      }
    })()
    expect(error?.exitCode).toBe(ExitCode.NOT_FOUND)
    expect(error?.line).toBe('container "nginx" not found in pod "journal-6d9f7c5b8-x2x7q" in prod; its containers are: journal, istio-proxy')
  })

  it('skips a sidecar listed first in favour of the container named like the app label', () => {
    expect(chooseContainer(pod(['istio-proxy', 'journal'], {labels: {app: 'journal'}}))).toEqual({name: 'journal', reason: 'matches the app label'})
  })

  it("matches the owning Deployment's name when labels do not help", () => {
    const p = pod(['memcached-exporter', 'reviewer'], {owner: 'reviewer-6d9f7c5b8', hash: '6d9f7c5b8'})
    expect(workloadName(p)).toBe('reviewer')
    expect(chooseContainer(p)).toEqual({name: 'reviewer', reason: "matches the owning workload's name"})
  })

  it('honours kubectl.kubernetes.io/default-container first', () => {
    expect(chooseContainer(pod(['web', 'worker'], {annotations: {'kubectl.kubernetes.io/default-container': 'worker'}})).name).toBe('worker')
  })

  it('falls back to the one non-sidecar, and says which sidecars it skipped', () => {
    expect(chooseContainer(pod(['config-reloader', 'linkerd-proxy', 'api', 'memcached-exporter']))).toEqual({
      name: 'api',
      reason: 'the only one that is not a sidecar (config-reloader, linkerd-proxy, memcached-exporter)',
    })
  })

  it('says when it had to guess among several application containers', () => {
    expect(chooseContainer(pod(['web', 'worker', 'istio-proxy'])).reason).toBe('the first of web, worker; pass -c to pick another')
  })

  it('recognises sidecars by name and suffix, not every "proxy"', () => {
    expect(['istio-proxy', 'linkerd-proxy', 'prometheus-config-reloader', 'log-sidecar', 'statsd-exporter'].every(isKnownSidecar)).toBe(true)
    expect(isKnownSidecar('nginx-proxy')).toBe(false)
    expect(isKnownSidecar('journal')).toBe(false)
  })
})

describe('checkPodRunning', () => {
  it('refuses a pod that is not Running, with exit code "conflict"', () => {
    const pending = pod(['web'])
    pending.status = {phase: 'Pending'}
    expect(() => checkPodRunning(pending, 'web')).toThrow(
      'pod "journal-6d9f7c5b8-x2x7q" in prod is not running: its phase is Pending (not scheduled on a node yet)',
    )
    try {
      checkPodRunning(pending, 'web')
    } catch (error) {
      expect((error as CliError).exitCode).toBe(ExitCode.CONFLICT)
    }
  })

  it('refuses a container that is waiting', () => {
    const p = pod(['web'])
    p.status!.containerStatuses![0].state = {waiting: {reason: 'CrashLoopBackOff'}}
    expect(() => checkPodRunning(p, 'web')).toThrow('container "web" of pod "journal-6d9f7c5b8-x2x7q" in prod is waiting (CrashLoopBackOff)')
  })
})
