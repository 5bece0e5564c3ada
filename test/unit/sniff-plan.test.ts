import {describe, expect, it} from 'vitest'

import {describeSniff, type SniffPlan, sniffNotRun} from '../../src/lib/sniff/sniff.js'

const options = {
  namespace: 'prod',
  pod: 'journal-0',
  mode: 'ephemeral' as const,
  image: 'img:1',
  capture: {interface: 'any'},
  uploadDir: '/tmp',
  startTimeoutMs: 1000,
}
const base = {namespace: 'prod', pod: 'journal-0', container: 'journal', containerReason: 'matches the app label'}
const never = async () => {
  throw new Error('a plan is only described here, never carried out')
}

// The one plan shape (src/lib/cli/action.ts): what sniff will change, said before the prompt and under --dry-run.
describe('sniff plans: described before anything changes', () => {
  it('ephemeral: one change, and the consequence that it cannot be removed', () => {
    const plan: SniffPlan = {
      ...base,
      mode: 'ephemeral',
      options,
      name: 'elife-k8s-sniff-2',
      image: 'img:1',
      command: ['sh'],
      earlier: ['elife-k8s-sniff-1 (exited 0)'],
      patch: never,
    }
    const description = describeSniff(plan)
    expect(description.changes).toEqual([
      'add debug container "elife-k8s-sniff-2" (image img:1, tcpdump as root with NET_RAW/NET_ADMIN) to pod "journal-0" in prod, targeting container "journal"',
    ])
    expect(description.consequence).toContain('"elife-k8s-sniff-2" will stay in the pod\'s spec, stopped, until the pod is replaced')
    expect(sniffNotRun(plan)).toMatchObject({
      dryRun: true,
      packets: 0,
      helper: {
        kind: 'ephemeral-container',
        name: 'elife-k8s-sniff-2',
        state: 'would be added (the API server accepted it in a dry run)',
        earlier: ['elife-k8s-sniff-1 (exited 0)'],
      },
    })
  })

  it('upload and privileged: the copy and its removal, the helper pod and its deletion', () => {
    const upload: SniffPlan = {
      ...base,
      mode: 'upload',
      options: {...options, mode: 'upload', tcpdumpBinary: './tcpdump'},
      binary: Buffer.alloc(42),
      remotePath: '/tmp/sniff-tcpdump-x',
      command: ['sh'],
    }
    expect(describeSniff(upload).changes).toEqual([
      'copy ./tcpdump (42 bytes) to /tmp/sniff-tcpdump-x in container "journal" of pod "journal-0" in prod and run it',
      'remove /tmp/sniff-tcpdump-x when the capture ends',
    ])
    expect(sniffNotRun(upload).helper).toMatchObject({kind: 'uploaded-binary', state: 'would be copied (42 bytes) and run'})
    const privileged: SniffPlan = {
      ...base,
      mode: 'privileged',
      options: {...options, mode: 'privileged'},
      name: 'sniff-journal-0-abcde',
      image: 'img:1',
      command: ['sh'],
      helperNamespace: 'kube-system',
      node: 'node-1',
      create: never,
    }
    expect(describeSniff(privileged).changes).toEqual([
      'create privileged pod "sniff-journal-0-abcde" (hostPID, hostNetwork, image img:1) in kube-system on node node-1',
      'delete it when the capture ends',
    ])
    expect(describeSniff(privileged).confirm).toContain('it is deleted when the capture ends')
    expect(sniffNotRun(privileged).helper).toMatchObject({
      kind: 'helper-pod',
      namespace: 'kube-system',
      node: 'node-1',
      state: 'would be created (the API server accepted it in a dry run)',
    })
  })
})
