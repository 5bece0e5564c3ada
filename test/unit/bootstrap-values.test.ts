import {describe, expect, it} from 'vitest'

import {selectSteps, stepIds} from '../../src/lib/bootstrap/plan.js'
import {fluxValues, helmOperatorValues, setValuesToObject, valueDifferences, valuesInclude} from '../../src/lib/bootstrap/values.js'
import {CliError} from '../../src/lib/errors.js'

describe('bootstrap values', () => {
  it("turns the runbook's --set pairs into what helm get values reports", () => {
    expect(setValuesToObject(fluxValues('git@github.com:elifesciences/elife-flux-cluster'))).toEqual({
      git: {url: 'git@github.com:elifesciences/elife-flux-cluster'},
      syncGarbageCollection: {enabled: true},
      prometheus: {serviceMonitor: {create: true, namespace: 'adm'}},
    })
    expect(setValuesToObject(helmOperatorValues())).toEqual({
      git: {ssh: {secretName: 'flux-git-deploy'}},
      helm: {versions: 'v3'},
      statusUpdateInterval: '90s',
      resources: {limits: {memory: '1Gi'}, requests: {memory: '500Mi', cpu: '400m'}},
      prometheus: {serviceMonitor: {create: true, namespace: 'adm'}},
    })
    expect(
      setValuesToObject([
        ['replicas', '3'],
        ['tag', '007'],
        ['flag', 'false'],
      ]),
    ).toEqual({replicas: 3, tag: '007', flag: false})
  })

  it("compares a release's values with the wanted ones, extra values allowed", () => {
    const wanted = setValuesToObject(helmOperatorValues())
    const actual: Record<string, unknown> = {...structuredClone(wanted), image: {tag: '1.4.4'}}
    expect(valuesInclude(actual, wanted)).toBe(true)
    actual.statusUpdateInterval = '5m'
    delete (actual.resources as {limits?: unknown}).limits
    expect(valuesInclude(actual, wanted)).toBe(false)
    expect(valueDifferences(actual, wanted)).toEqual(['statusUpdateInterval: "5m" → "90s"', 'resources.limits.memory: (unset) → "1Gi"'])
    expect(valuesInclude(null, wanted)).toBe(false)
  })
})

describe('bootstrap step selection', () => {
  it("keeps the runbook's order whatever order --only gives", () => {
    expect(selectSteps(['flux', 'crds'], undefined).selected).toEqual(['crds', 'flux'])
    expect(selectSteps(undefined, ['kube-proxy', 'kubeconfig']).selected).toEqual(['crds', 'namespace', 'flux', 'helm-operator', 'deploy-key', 'psp'])
    expect(selectSteps(undefined, undefined).selected).toEqual([...stepIds])
    expect(selectSteps(['flux'], ['flux']).selected).toEqual([])
  })

  it('refuses an unknown step name with the list of names', () => {
    expect(() => selectSteps(['flux', 'fluxx'], undefined)).toThrow(CliError)
    expect(() => selectSteps(undefined, ['psps'])).toThrow(/unknown bootstrap step "psps"/)
  })
})
