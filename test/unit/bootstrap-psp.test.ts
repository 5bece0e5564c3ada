import {describe, expect, it} from 'vitest'

import {decidePsp} from '../../src/lib/bootstrap/plan.js'

const all = {policy: true, clusterRole: true, binding: true}
const none = {policy: false, clusterRole: false, binding: false}

describe('bootstrap PodSecurityPolicy step', () => {
  it('is not applicable where the PSP API is not served, saying why', () => {
    expect(decidePsp({served: false, version: 'v1.30.2-eks-1', privileged: none, baseline: none})).toEqual({
      state: 'n/a',
      reason:
        'the PodSecurityPolicy API (policy/v1beta1 podsecuritypolicies) is not served by this cluster (Kubernetes v1.30.2-eks-1; it was removed in 1.25, and Pod Security Admission replaces it): there is no privileged policy to remove',
    })
  })

  it("removes eks.privileged only once baseline's policy, role and binding are all there", () => {
    expect(decidePsp({served: true, version: 'v1.21.14', privileged: all, baseline: all})).toEqual({
      state: 'todo',
      reason:
        'delete podsecuritypolicy eks.privileged, clusterrole eks:podsecuritypolicy:privileged, clusterrolebinding eks:podsecuritypolicy:authenticated (baseline policy, role and binding are in place)',
    })
    expect(() => decidePsp({served: true, version: 'v1.21.14', privileged: all, baseline: {...all, binding: false}})).toThrow(
      /cannot be removed yet: clusterrolebinding podsecuritypolicy:authenticated missing/,
    )
    // Interrupted after the binding went: the rest is still removed.
    expect(decidePsp({served: true, version: 'v1.21.14', privileged: {...all, binding: false}, baseline: all}).reason).toBe(
      'delete podsecuritypolicy eks.privileged, clusterrole eks:podsecuritypolicy:privileged (baseline policy, role and binding are in place)',
    )
    expect(decidePsp({served: true, version: 'v1.21.14', privileged: none, baseline: none}).state).toBe('done')
  })
})
