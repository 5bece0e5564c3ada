import type {V1DaemonSet, V1Node, V1Pod} from '@kubernetes/client-node'
import {describe, expect, it} from 'vitest'

import {describeProgress, restartProgress} from '../../src/lib/kube-proxy/fix.js'
import {daemonPodFits, nodesWithoutPod} from '../../src/lib/kube-proxy/state.js'

const node = (name: string, labels: Record<string, string> = {}, taints: V1Node['spec'] = {}): V1Node => ({
  metadata: {name, labels: {'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', ...labels}},
  spec: taints,
})
const pod = (name: string, nodeName: string): V1Pod => ({metadata: {name}, spec: {nodeName, containers: []}})

// The affinity of EKS's kube-proxy DaemonSet (scripts/cluster/fixtures/10-kube-system.yaml).
const daemonSet: V1DaemonSet = {
  metadata: {name: 'kube-proxy'},
  spec: {
    selector: {matchLabels: {'k8s-app': 'kube-proxy'}},
    template: {
      spec: {
        containers: [{name: 'kube-proxy'}],
        tolerations: [{operator: 'Exists'}],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [
                    {key: 'kubernetes.io/os', operator: 'In', values: ['linux']},
                    {key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64']},
                    {key: 'eks.amazonaws.com/compute-type', operator: 'NotIn', values: ['fargate', 'auto', 'hybrid']},
                  ],
                },
              ],
            },
          },
        },
      },
    },
  },
  status: {desiredNumberScheduled: 3, currentNumberScheduled: 2, numberMisscheduled: 0, numberReady: 2},
}

describe('which nodes kube-proxy should run on', () => {
  it('follows the DaemonSet affinity, nodeSelector and taints', () => {
    const spec = daemonSet.spec!.template.spec
    expect(daemonPodFits(node('a'), spec)).toBe(true)
    expect(daemonPodFits(node('fargate', {'eks.amazonaws.com/compute-type': 'fargate'}), spec)).toBe(false)
    expect(daemonPodFits(node('win', {'kubernetes.io/os': 'windows'}), spec)).toBe(false)
    const tainted = node('t', {}, {taints: [{key: 'dedicated', value: 'gpu', effect: 'NoSchedule'}]})
    expect(daemonPodFits(tainted, spec)).toBe(true)
    expect(daemonPodFits(tainted, {...spec!, tolerations: []})).toBe(false)
    expect(daemonPodFits(tainted, {...spec!, tolerations: [{key: 'dedicated', operator: 'Equal', value: 'gpu'}]})).toBe(true)
    expect(daemonPodFits(node('p', {}, {taints: [{key: 'x', effect: 'PreferNoSchedule'}]}), {containers: []})).toBe(true)
    expect(daemonPodFits(node('a'), {containers: [], nodeSelector: {role: 'edge'}})).toBe(false)
    expect(daemonPodFits(node('a', {role: 'edge'}), {containers: [], nodeSelector: {role: 'edge'}})).toBe(true)
  })
})

// Issue 14 item 15: with a third node that had no kube-proxy pod, the timeout line said
// "done on 2 nodes, not yet on none".
describe('restart progress counts nodes, not pods', () => {
  const nodes = [node('ip-1'), node('ip-2'), node('ip-3'), node('fargate-1', {'eks.amazonaws.com/compute-type': 'fargate'})]

  it('names the node that has no kube-proxy pod', () => {
    const state = {daemonSet, nodes, pods: [pod('kube-proxy-a', 'ip-1'), pod('kube-proxy-b', 'ip-2')]}
    expect(nodesWithoutPod(state)).toEqual(['ip-3'])
    const outcome = restartProgress(state, ['ip-1', 'ip-2'])
    expect(outcome).toEqual({nodesDone: ['ip-1', 'ip-2'], nodesPending: [], nodesWithoutPod: ['ip-3'], nodesDesired: 3})
    expect(describeProgress(outcome)).toBe('done on 2 nodes (ip-1, ip-2), not yet on 0 nodes, no kube-proxy pod at all on 1 node (ip-3)')
  })

  it('counts a node whose old pod is being replaced as pending, once', () => {
    const terminating = {...pod('kube-proxy-old', 'ip-2'), metadata: {name: 'kube-proxy-old', deletionTimestamp: new Date()}}
    const state = {daemonSet, nodes, pods: [pod('kube-proxy-a', 'ip-1'), terminating, pod('kube-proxy-c', 'ip-3'), pod('kube-proxy-c2', 'ip-3')]}
    const outcome = restartProgress(state, ['ip-1'])
    expect(outcome).toMatchObject({nodesDone: ['ip-1'], nodesPending: ['ip-2', 'ip-3'], nodesWithoutPod: []})
    expect(describeProgress(outcome)).toBe('done on 1 node (ip-1), not yet on 2 nodes (ip-2, ip-3)')
  })

  it('says when the DaemonSet wants more nodes than it can name', () => {
    const outcome = restartProgress(
      {
        daemonSet: {...daemonSet, status: {...daemonSet.status!, desiredNumberScheduled: 4}},
        nodes,
        pods: [pod('a', 'ip-1'), pod('b', 'ip-2'), pod('c', 'ip-3')],
      },
      ['ip-1', 'ip-2', 'ip-3'],
    )
    expect(describeProgress(outcome)).toBe('done on 3 nodes (ip-1, ip-2, ip-3), not yet on 0 nodes, the DaemonSet wants 4 nodes, 1 more than these')
  })
})
