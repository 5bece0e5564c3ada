import {AppsV1Api, CoreV1Api, VersionApi} from '@kubernetes/client-node'

import {runChecks as runKubeProxyChecks} from '../kube-proxy/checks.js'
import {readKubeProxyState} from '../kube-proxy/state.js'
import {type DoctorCheck, listSome, ok, plural} from './check.js'
import {core} from './reader.js'

/** The runbook's bootstrap step 5 (metricsBindAddress, version skew), by `kube-proxy fix --check`'s own checks. */
export const kubeProxy: DoctorCheck = {
  id: 'kube-proxy',
  title: 'kube-proxy metrics and version (bootstrap step 5)',
  async run(ctx) {
    const namespace = 'kube-system'
    const daemonSet = await ctx.reader.get({group: 'apps', version: 'v1', plural: 'daemonsets'}, 'kube-proxy', namespace)
    if (!daemonSet) return {status: 'skipped', message: 'no kube-proxy DaemonSet in kube-system (not an EKS-style cluster)'}
    const state = await readKubeProxyState({core: ctx.api(CoreV1Api), apps: ctx.api(AppsV1Api), version: ctx.api(VersionApi)}, namespace)
    // EKS's default kube-proxy version needs AWS and the cluster's name: the eks-addons check compares it.
    const findings = runKubeProxyChecks(state, {bindAddress: '0.0.0.0:10249'}).filter((f) => f.status !== 'skipped')
    const failed = findings.filter((f) => f.status === 'failed')
    if (failed.length === 0) return ok(`kube-proxy: ${findings.map((f) => f.message).join('; ')}`.slice(0, 400))
    return {
      status: 'fail',
      message: `kube-proxy: ${failed.map((f) => f.message).join('; ')}`,
      objects: failed.map((f) => `${f.check}: ${f.message}`),
      fix: 'elife-k8s kube-proxy fix --dry-run, then without --dry-run',
    }
  },
}

const enforceLabel = 'pod-security.kubernetes.io/enforce'

/**
 * Runbook bootstrap step 4: before Kubernetes 1.25, EKS's eks.privileged PodSecurityPolicy
 * removed and the baseline one applied; from 1.25 (no PodSecurityPolicy), Pod Security Admission
 * labels on the namespaces that run workloads.
 */
export const podSecurity: DoctorCheck = {
  id: 'pod-security',
  title: 'Pod security (bootstrap step 4)',
  async run({reader}) {
    const version = await reader.raw<{major?: string; minor?: string}>('/version', 'get /version')
    const minor = Number.parseInt(version.minor ?? '', 10)
    if (Number.isFinite(minor) && minor < 25) {
      const policies = (await reader.list({group: 'policy', version: 'v1beta1', plural: 'podsecuritypolicies'})) ?? []
      const names = new Set(policies.map((p) => p.metadata?.name))
      const problems = [names.has('eks.privileged') ? 'eks.privileged is still there' : '', names.has('baseline') ? '' : 'no baseline policy'].filter(Boolean)
      if (problems.length > 0) return {status: 'fail', message: `PodSecurityPolicy: ${problems.join(', ')}`, fix: 'elife-k8s bootstrap --only psp'}
      return ok('PodSecurityPolicy: eks.privileged removed, baseline applied')
    }
    const namespaces = (await reader.list(core('namespaces'))) ?? []
    const system = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'default'])
    const unlabelled = namespaces.filter((n) => !system.has(n.metadata?.name ?? '') && !n.metadata?.labels?.[enforceLabel]).map((n) => n.metadata?.name ?? '')
    if (unlabelled.length > 0) {
      return {
        status: 'warn',
        message: `Kubernetes 1.${minor} has no PodSecurityPolicy; ${plural(unlabelled.length, 'namespace')} without a ${enforceLabel} label (any pod spec is admitted): ${listSome(unlabelled)}`,
        objects: unlabelled.map((n) => `Namespace ${n}`),
        fix: `label each namespace's manifest in the GitOps repository, e.g. ${enforceLabel}: baseline`,
      }
    }
    return ok(`every namespace has a ${enforceLabel} label`)
  },
}

const helmOperatorCrd = 'helmreleases.helm.fluxcd.io'

export const helmOperatorCrds: DoctorCheck = {
  id: 'helm-operator-crds',
  title: 'helm-operator CRD (bootstrap step 2)',
  async run({reader}, options) {
    const crd = await reader.get({group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions'}, helmOperatorCrd)
    const operator = (await reader.list(core('pods'), {namespace: options.fluxNamespace, labelSelector: 'app=helm-operator'})) ?? []
    if (!crd) {
      if (operator.length === 0)
        return {status: 'skipped', message: `no helm-operator in ${options.fluxNamespace} and no ${helmOperatorCrd} CRD (Flux v2 only, or not bootstrapped)`}
      return {
        status: 'fail',
        message: `helm-operator runs in ${options.fluxNamespace} but the ${helmOperatorCrd} CRD is not installed: it cannot see any HelmRelease`,
        fix: 'elife-k8s bootstrap --only crds',
      }
    }
    const served = ((crd.spec as {versions?: Array<{name?: string; served?: boolean}>} | undefined)?.versions ?? []).filter((v) => v.served).map((v) => v.name)
    return ok(`${helmOperatorCrd} installed (serves ${served.join(', ') || 'nothing'})`)
  },
}
