import type {V1ConfigMap} from '@kubernetes/client-node'
import {describe, expect, it} from 'vitest'

import {confirmWritten, type FixPlan, WrittenConfigMismatch} from '../../src/lib/kube-proxy/fix.js'
import type {KubeProxyClients, KubeProxyState} from '../../src/lib/kube-proxy/state.js'

// Issue 14 item 1: kube-proxy must never be restarted onto a config that does not parse. After the
// write, what the API server holds is read back and parsed before the restart starts.
const original = '{\n  "kind": "KubeProxyConfiguration",\n  "mode": "iptables"\n}\n'
const updated = '{\n  "kind": "KubeProxyConfiguration",\n  "mode": "iptables",\n  "metricsBindAddress": "0.0.0.0:10249"\n}\n'

function setup(stored: string) {
  const replaced: V1ConfigMap[] = []
  const configMap: V1ConfigMap = {metadata: {name: 'kube-proxy-config', namespace: 'kube-system', resourceVersion: '2'}, data: {config: stored}}
  const clients = {
    core: {
      readNamespacedConfigMap: async () => structuredClone(configMap),
      replaceNamespacedConfigMap: async ({body}: {body: V1ConfigMap}) => {
        replaced.push(body)
        return body
      },
    },
  } as unknown as KubeProxyClients
  const state = {namespace: 'kube-system', configText: original, configMap: {...configMap, data: {config: original}}} as unknown as KubeProxyState
  const plan = {metricsBindAddress: {from: '127.0.0.1:10249', to: '0.0.0.0:10249', changed: true}, updatedConfig: updated} as FixPlan
  return {clients, state, plan, replaced}
}

describe('reading the written kube-proxy-config back', () => {
  it('returns what is stored when it parses and says what we wrote', async () => {
    const {clients, state, plan, replaced} = setup(updated)
    await expect(confirmWritten(clients, state, plan)).resolves.toBe(updated)
    expect(replaced).toEqual([])
  })

  it('puts our previous config back when our write does not read back as a config, and restarts nothing', async () => {
    // as if what we wrote had been a JSON object with a YAML line after it (the old edit)
    const mangled = `${original}metricsBindAddress: 0.0.0.0:10249\n`
    const {clients, state, plan, replaced} = setup(mangled)
    plan.updatedConfig = mangled
    const error = await confirmWritten(clients, state, plan).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WrittenConfigMismatch)
    expect((error as WrittenConfigMismatch).exitCode).toBe(7)
    expect((error as WrittenConfigMismatch).message).toMatch(
      /read back after the edit is not the config we wrote \(editing metricsBindAddress in configmap "kube-proxy-config" in kube-system would leave a config kube-proxy cannot read .*\); the previous config was put back and no kube-proxy pod was restarted$/,
    )
    expect(replaced.map((cm) => cm.data?.config)).toEqual([original])
  })

  it("leaves someone else's config alone and restarts nothing", async () => {
    const {clients, state, plan, replaced} = setup('{"kind": "KubeProxyConfiguration", "mode": "ipvs", "metricsBindAddress": "0.0.0.0:10249"}')
    const error = await confirmWritten(clients, state, plan).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WrittenConfigMismatch)
    expect((error as Error).message).toContain('would change more than that key')
    expect((error as Error).message).toContain('it was left as it is now, and no kube-proxy pod was restarted')
    expect(replaced).toEqual([])
  })
})
