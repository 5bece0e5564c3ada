import {access} from './access.js'
import {alertmanagerConfig, dashboards, prometheusRules, serviceMonitors} from './alerting.js'
import {helmOperatorCrds, kubeProxy, podSecurity} from './bootstrap.js'
import type {DoctorCheck} from './check.js'
import {canaryRules, canaryStatus} from './delivery.js'
import {eksAddons, eksControlPlane} from './eks.js'
import {fluxControllers, fluxDeployKey, fluxSync} from './flux.js'
import {deprecatedApis, helmReleaseObjects, helmReleases} from './helm.js'
import {deployments, nodes, systemPods, workloadPods} from './workloads.js'

/** Every check, in the order they are shown: access, then the runbook's sections. */
export const doctorChecks: readonly DoctorCheck[] = [
  access,
  eksControlPlane,
  nodes,
  systemPods,
  fluxControllers,
  fluxSync,
  fluxDeployKey,
  helmOperatorCrds,
  helmReleases,
  helmReleaseObjects,
  kubeProxy,
  podSecurity,
  alertmanagerConfig,
  prometheusRules,
  serviceMonitors,
  dashboards,
  canaryStatus,
  canaryRules,
  deployments,
  workloadPods,
  deprecatedApis,
  eksAddons,
]
