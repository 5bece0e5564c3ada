import {setTimeout as sleep} from 'node:timers/promises'
import {readFileSync} from 'node:fs'

import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1CustomResourceDefinition,
  type V1Deployment,
  VersionApi,
} from '@kubernetes/client-node'
import {parseAllDocuments} from 'yaml'

import {CliError} from '../errors.js'
import {helmErrorLine, type HelmTool} from '../helm/binary.js'
import {isNotFound} from '../kube/errors.js'
import type {ActionContext} from '../cli/action.js'
import {type KubeconfigInput, kubeconfigAction} from '../eks/action.js'
import {describeNow, type KubeProxyInput, kubeProxyFix} from '../kube-proxy/action.js'
import {withFluxd} from '../flux/v1.js'
import {bundledHelmOperatorCrds} from './helm-operator-crds.js'
import {fluxValuesObject, helmOperatorValuesObject, validateGitUrl, valueDifferences, valuesInclude} from './values.js'

/** The runbook's bootstrap, in its order. */
export const stepIds = ['kubeconfig', 'crds', 'namespace', 'flux', 'helm-operator', 'deploy-key', 'psp', 'kube-proxy'] as const
export type StepId = (typeof stepIds)[number]

/**
 * done: nothing to do; todo: the action would change something; n/a: does not apply here (reason
 * says why); manual: something only a person can do (add the deploy key on GitHub).
 */
export type StepState = 'done' | 'todo' | 'n/a' | 'manual'

export interface StepCheck {
  state: StepState
  /** Why: what was found, or what the action will change. */
  reason: string
  /** Extra lines for the plan (value differences, the deploy key). */
  details?: string[]
}

/** The cluster as the steps see it; reloaded after the kubeconfig step changes the context. */
export interface ClusterAccess {
  kc: KubeConfig
  api<T>(apiClass: new (...args: never[]) => T): T
}

export interface BootstrapOptions {
  gitUrl?: string
  fluxNamespace: string
  chartRepo: string
  fluxChartVersion?: string
  helmOperatorChartVersion?: string
  /** --crds: a file path or http(s) URL; undefined: the bundled CRD. */
  crdsSource?: string
  kubeProxyBindAddress: string
  /** kube-proxy's namespace (kube-system on EKS). */
  kubeProxyNamespace: string
  timeoutMs: number
}

export interface BootstrapContext {
  options: BootstrapOptions
  /**
   * Cluster access and output for the actions the steps run (kubeconfig's, kube-proxy fix's): the
   * command's context, or, after the kubeconfig step, the context it wrote.
   */
  action(): ActionContext
  /** The cluster the steps act on: action().io.kube. */
  cluster(): ClusterAccess
  /** Called after the kubeconfig step made `context` current: the steps after it act there. */
  useContext(context: string): void
  helm(): Promise<HelmTool>
  /** The kubeconfig action's input (--cluster, --region, --role-arn, --profile); undefined without --cluster. */
  kubeconfig?: KubeconfigInput
  onProgress(message: string): void
}

export interface BootstrapStep {
  id: StepId
  /** The runbook step, in its words. */
  description: string
  check(ctx: BootstrapContext): Promise<StepCheck>
  /** Makes the change; returns what is true now. Only called when check says todo. */
  apply(ctx: BootstrapContext): Promise<string>
}

// ---------------------------------------------------------------------------------------------
// kubeconfig

/** `elife-k8s kubeconfig`'s action: its plan is this step's check, its execute this step's action. */
const kubeconfigStep: BootstrapStep = {
  id: 'kubeconfig',
  description: 'kubeconfig entries for the EKS cluster (aws eks update-kubeconfig --name … --role …)',
  async check(ctx) {
    if (!ctx.kubeconfig) return {state: 'n/a', reason: 'no --cluster given: using the current kubeconfig context'}
    const plan = await kubeconfigAction.plan(ctx.action(), ctx.kubeconfig)
    const {changes} = kubeconfigAction.describe(plan)
    const {file, changes: entries, currentContext} = plan.update.merge
    const context = plan.update.entries.context.name
    if (changes.length === 0) return {state: 'done', reason: `context "${context}" is in ${file} and current`}
    const what = Object.entries(entries)
      .filter(([, change]) => change !== 'unchanged')
      .map(([entry, change]) => `${entry} ${change === 'added' ? 'to add' : 'to update'}`)
    if (currentContext.before !== context) what.push(`make "${context}" current`)
    return {state: 'todo', reason: `${file}: ${what.join(', ')}`, details: changes}
  },
  async apply(ctx) {
    const action = ctx.action()
    const result = await kubeconfigAction.execute(action, await kubeconfigAction.plan(action, ctx.kubeconfig!))
    ctx.useContext(result.context)
    return `context "${result.context}" is current in ${result.file}`
  },
}

// ---------------------------------------------------------------------------------------------
// helm-operator CRDs

async function loadCrds(source: string | undefined): Promise<{from: string; crds: V1CustomResourceDefinition[]}> {
  let text: string
  let from: string
  if (!source) {
    text = bundledHelmOperatorCrds
    from = 'the bundled helm.fluxcd.io CRD'
  } else if (/^https?:\/\//.test(source)) {
    from = source
    try {
      const response = await fetch(source, {signal: AbortSignal.timeout(30_000)})
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      text = await response.text()
    } catch (error) {
      throw new CliError('unreachable', `cannot download the helm-operator CRDs from ${source}: ${(error as Error).message}`, {
        hint: 'pass --crds with a local copy of the file, or leave --crds out to use the bundled CRD',
      })
    }
  } else {
    from = source
    try {
      text = readFileSync(source, 'utf8')
    } catch (error) {
      throw new CliError('usage', `cannot read --crds ${source}: ${(error as Error).message}`, {hint: 'pass a readable YAML file or an http(s) URL'})
    }
  }
  const crds: V1CustomResourceDefinition[] = []
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0)
      throw new CliError('usage', `--crds ${from} is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`, {hint: 'pass the helm-operator crds.yaml'})
    const object = doc.toJS() as V1CustomResourceDefinition | null
    if (!object) continue
    if (object.kind !== 'CustomResourceDefinition')
      throw new CliError('usage', `--crds ${from} holds a ${object.kind ?? 'document without kind'}, not only CustomResourceDefinitions`, {
        hint: 'pass the helm-operator crds.yaml',
      })
    crds.push(object)
  }
  if (crds.length === 0) throw new CliError('usage', `--crds ${from} holds no CustomResourceDefinition`, {hint: 'pass the helm-operator crds.yaml'})
  return {from, crds}
}

function crdMatches(actual: V1CustomResourceDefinition, wanted: V1CustomResourceDefinition): boolean {
  const established = actual.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
  const versions = (crd: V1CustomResourceDefinition) =>
    crd.spec.versions
      .map((v) => `${v.name}:${v.served}:${v.storage}`)
      .sort()
      .join(',')
  return (
    Boolean(established) &&
    actual.spec.group === wanted.spec.group &&
    actual.spec.names.kind === wanted.spec.names.kind &&
    actual.spec.scope === wanted.spec.scope &&
    versions(actual) === versions(wanted)
  )
}

const crdsStep: BootstrapStep = {
  id: 'crds',
  description: 'helm-operator CRDs (kubectl apply -f …/helm-operator/master/deploy/crds.yaml)',
  async check(ctx) {
    const {from, crds} = await loadCrds(ctx.options.crdsSource)
    const extensions = ctx.cluster().api(ApiextensionsV1Api)
    const missing: string[] = []
    for (const crd of crds) {
      try {
        const actual = await extensions.readCustomResourceDefinition({name: crd.metadata!.name!})
        if (!crdMatches(actual, crd)) missing.push(`${crd.metadata!.name} (differs)`)
      } catch (error) {
        if (!isNotFound(error)) throw error
        missing.push(`${crd.metadata!.name} (missing)`)
      }
    }
    const names = crds.map((c) => c.metadata!.name).join(', ')
    if (missing.length === 0) return {state: 'done', reason: `${names} installed and established`}
    return {state: 'todo', reason: `apply ${missing.join(', ')} from ${from}`}
  },
  async apply(ctx) {
    const {crds} = await loadCrds(ctx.options.crdsSource)
    const extensions = ctx.cluster().api(ApiextensionsV1Api)
    for (const crd of crds) {
      // Server-side apply: creates or updates, idempotent, and owns only the fields in the file.
      await extensions.patchCustomResourceDefinition(
        {name: crd.metadata!.name!, body: crd, fieldManager: 'elife-k8s', force: true},
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      )
    }
    const deadline = Date.now() + ctx.options.timeoutMs
    for (const crd of crds) {
      for (;;) {
        const actual = await extensions.readCustomResourceDefinition({name: crd.metadata!.name!})
        if (actual.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break
        if (Date.now() > deadline)
          throw new CliError('check-failed', `CRD ${crd.metadata!.name} was applied but is not Established`, {
            hint: 'see `kubectl get crd ' + crd.metadata!.name + ' -o yaml` (status.conditions)',
          })
        ctx.onProgress(`waiting for CRD ${crd.metadata!.name} to be established…`)
        await sleep(250)
      }
    }
    return `${crds.map((c) => c.metadata!.name).join(', ')} applied and established`
  },
}

// ---------------------------------------------------------------------------------------------
// namespace

const namespaceStep: BootstrapStep = {
  id: 'namespace',
  description: 'namespace for flux (kubectl create namespace flux)',
  async check(ctx) {
    const name = ctx.options.fluxNamespace
    try {
      const ns = await ctx.cluster().api(CoreV1Api).readNamespace({name})
      if (ns.status?.phase === 'Terminating')
        throw new CliError('conflict', `namespace ${name} is being deleted`, {hint: 'wait until it is gone, then run bootstrap again'})
      return {state: 'done', reason: `namespace ${name} exists`}
    } catch (error) {
      if (!isNotFound(error)) throw error
      return {state: 'todo', reason: `create namespace ${name}`}
    }
  },
  async apply(ctx) {
    await ctx
      .cluster()
      .api(CoreV1Api)
      .createNamespace({body: {metadata: {name: ctx.options.fluxNamespace}}})
    return `namespace ${ctx.options.fluxNamespace} created`
  },
}

// ---------------------------------------------------------------------------------------------
// charts

export interface ChartSpec {
  release: string
  chart: string
  version?: string
  /** The values, given to helm as a values file on stdin (never `--set`). */
  values: Record<string, unknown>
}

function chartSpec(ctx: BootstrapContext, id: 'flux' | 'helm-operator'): ChartSpec {
  if (id === 'flux') {
    if (!ctx.options.gitUrl)
      throw new CliError('usage', 'the flux step needs --git-url (the repository flux syncs, e.g. git@github.com:elifesciences/elife-flux-cluster)', {
        hint: 'pass --git-url, or --skip flux',
      })
    validateGitUrl(ctx.options.gitUrl)
    return {release: 'flux', chart: 'flux', version: ctx.options.fluxChartVersion, values: fluxValuesObject(ctx.options.gitUrl)}
  }
  return {release: 'helm-operator', chart: 'helm-operator', version: ctx.options.helmOperatorChartVersion, values: helmOperatorValuesObject()}
}

/**
 * `helm upgrade -i` for a chart step, and what goes to its stdin: the runbook's
 * `helm upgrade -i <release> fluxcd/<chart> --set …`, with the repository given by URL (--repo) so
 * no `helm repo add` is left behind and a mirror can stand in, and the values as a values file on
 * stdin (`--values -`): no user string is parsed by `--set`, nothing is written to disk.
 */
export function helmUpgradeCommand(
  spec: ChartSpec,
  options: {clusterArgs: string[]; chartRepo: string; namespace: string; timeoutMs: number},
): {args: string[]; input: string} {
  const args = [
    ...options.clusterArgs,
    'upgrade',
    '-i',
    spec.release,
    spec.chart,
    '--repo',
    options.chartRepo,
    '--namespace',
    options.namespace,
    '--wait',
    '--timeout',
    `${Math.ceil(options.timeoutMs / 1000)}s`,
  ]
  if (spec.version) args.push('--version', spec.version)
  args.push('--values', '-')
  return {args, input: `${JSON.stringify(spec.values, null, 2)}\n`}
}

async function existingInstalls(ctx: BootstrapContext, release: string): Promise<Array<{name: string; description: string}>> {
  const ns = ctx.options.fluxNamespace
  try {
    const deployments = await ctx.cluster().api(AppsV1Api).listNamespacedDeployment({namespace: ns})
    return unmanagedInstalls(deployments.items, release, ns)
  } catch (error) {
    if (isNotFound(error)) return []
    throw error
  }
}

interface HelmListEntry {
  name: string
  namespace: string
  status: string
  chart: string
  revision: string
}

async function readRelease(ctx: BootstrapContext, release: string): Promise<{entry?: HelmListEntry; values?: unknown}> {
  const helm = await ctx.helm()
  const ns = ctx.options.fluxNamespace
  const list = await helm.run([...helm.clusterArgs, 'list', '-n', ns, '-a', '-o', 'json', '--filter', `^${release}$`], {timeoutMs: 60_000})
  if (list.exitCode !== 0)
    throw new CliError('tool-failed', `helm list -n ${ns} failed: ${helmErrorLine(list)}`, {hint: 'check helm reaches the cluster with the same kubeconfig'})
  const entry = (JSON.parse(list.stdout || '[]') as HelmListEntry[]).find((r) => r.name === release)
  if (!entry) return {}
  const values = await helm.run([...helm.clusterArgs, 'get', 'values', release, '-n', ns, '-o', 'json'], {timeoutMs: 60_000})
  if (values.exitCode !== 0)
    throw new CliError('tool-failed', `helm get values ${release} -n ${ns} failed: ${helmErrorLine(values)}`, {
      hint: 'check the release with `elife-k8s helm history`',
    })
  return {entry, values: JSON.parse(values.stdout || 'null') ?? {}}
}

/**
 * Deployments in the namespace that already run this chart's program outside a helm 3 release of
 * that name: named like the release, labelled with it (as helm 2 and the charts label them), or
 * running the chart's image. A Deployment helm 3 would adopt (its meta.helm.sh annotations name
 * this release) is not one.
 */
export function unmanagedInstalls(deployments: V1Deployment[], release: string, namespace: string): Array<{name: string; description: string}> {
  const found: Array<{name: string; description: string; runsChartImage: boolean}> = []
  for (const deployment of deployments) {
    const annotations = deployment.metadata?.annotations ?? {}
    if (annotations['meta.helm.sh/release-name'] === release && annotations['meta.helm.sh/release-namespace'] === namespace) continue
    const labels = deployment.metadata?.labels ?? {}
    const images = (deployment.spec?.template?.spec?.containers ?? []).map((c) => c.image ?? '')
    const runsChartImage = images.some(
      (image) =>
        image
          .replace(/[@:][^/]*$/, '')
          .split('/')
          .at(-1) === release,
    )
    if (deployment.metadata?.name !== release && labels.release !== release && !runsChartImage) continue
    const helm2 = labels.heritage === 'Helm' || labels.heritage === 'Tiller'
    const name = deployment.metadata?.name ?? '?'
    found.push({
      name,
      runsChartImage,
      description: `deployment "${name}" (${images.join(', ') || 'no image'}${helm2 ? `, labelled heritage=${labels.heritage}: a helm 2 release` : ''})`,
    })
  }
  // The chart's own program first (fluxd, not the memcached of the same release), to name it.
  const program = found.filter((f) => f.runsChartImage)
  return (program.length > 0 ? program : found).map(({name, description}) => ({name, description}))
}

function chartStep(id: 'flux' | 'helm-operator', description: string): BootstrapStep {
  return {
    id,
    description,
    async check(ctx) {
      const spec = chartSpec(ctx, id)
      const ns = ctx.options.fluxNamespace
      let release: Awaited<ReturnType<typeof readRelease>>
      try {
        await ctx.cluster().api(CoreV1Api).readNamespace({name: ns})
        release = await readRelease(ctx, spec.release)
      } catch (error) {
        if (!isNotFound(error)) throw error
        release = {}
      }
      const wanted = spec.values
      const from = `${spec.chart}${spec.version ? ` ${spec.version}` : ''} from ${ctx.options.chartRepo}`
      if (!release.entry) {
        const existing = await existingInstalls(ctx, spec.release)
        if (existing.length > 0) {
          // helm 3 would refuse the objects it does not own, or, named otherwise, a second flux
          // would sync the same repository: stop and say what to do.
          throw new CliError(
            'conflict',
            `${spec.release} already runs in namespace ${ns} outside a helm 3 release: ${existing.map((e) => e.description).join('; ')}; bootstrap does not install a second one over it`,
            {
              hint: `to keep it, run bootstrap again with --skip ${id}; to have helm 3 manage it, convert its helm 2 release (\`helm 2to3 convert ${spec.release}\`) or delete it (\`kubectl -n ${ns} delete deployment ${existing[0].name}\` and the release's other objects) first, then run bootstrap again`,
            },
          )
        }
        return {state: 'todo', reason: `install release ${spec.release} in ${ns} (${from})`}
      }
      if (release.entry.status.startsWith('pending-')) {
        // A helm killed mid-operation leaves this lock behind; helm refuses every later upgrade.
        throw new CliError(
          'conflict',
          `release ${spec.release} in ${ns} is ${release.entry.status} (revision ${release.entry.revision}): a helm operation was interrupted, or is still running`,
          {
            hint: `if no helm is running on it, \`elife-k8s helm unstick ${spec.release} -n ${ns}\` clears it; then run bootstrap again (it resumes at this step)`,
          },
        )
      }
      const problems: string[] = []
      if (release.entry.status !== 'deployed') problems.push(`release is ${release.entry.status}`)
      if (spec.version && release.entry.chart !== `${spec.chart}-${spec.version}`) problems.push(`chart ${release.entry.chart} → ${spec.chart}-${spec.version}`)
      const differences = valuesInclude(release.values, wanted) ? [] : valueDifferences(release.values, wanted)
      if (problems.length === 0 && differences.length === 0)
        return {
          state: 'done',
          reason: `release ${spec.release} in ${ns} is deployed (${release.entry.chart}, revision ${release.entry.revision}) with the runbook's values`,
        }
      return {
        state: 'todo',
        reason: `upgrade release ${spec.release} in ${ns}: ${[...problems, differences.length > 0 ? `${differences.length} value(s) differ` : ''].filter(Boolean).join('; ')}`,
        details: differences,
      }
    },
    async apply(ctx) {
      const spec = chartSpec(ctx, id)
      const helm = await ctx.helm()
      const ns = ctx.options.fluxNamespace
      const {args, input} = helmUpgradeCommand(spec, {
        clusterArgs: helm.clusterArgs,
        chartRepo: ctx.options.chartRepo,
        namespace: ns,
        timeoutMs: ctx.options.timeoutMs,
      })
      ctx.onProgress(`helm upgrade -i ${spec.release} (waiting for its pods to be Ready)…`)
      const result = await helm.run(args, {timeoutMs: ctx.options.timeoutMs + 30_000, input})
      if (result.exitCode !== 0) {
        throw new CliError('tool-failed', `helm upgrade -i ${spec.release} -n ${ns} failed: ${helmErrorLine(result)}`, {
          hint: `see \`elife-k8s helm history ${spec.release} -n ${ns}\`; run bootstrap again once fixed (it resumes at this step)`,
        })
      }
      const after = await readRelease(ctx, spec.release)
      return `release ${spec.release} in ${ns} is ${after.entry?.status ?? 'unknown'} (${after.entry?.chart ?? '?'}, revision ${after.entry?.revision ?? '?'})`
    },
  }
}

// ---------------------------------------------------------------------------------------------
// deploy key

const deployKeyStep: BootstrapStep = {
  id: 'deploy-key',
  description: "flux's deploy key for the Git repository (fluxctl identity --k8s-fwd-ns flux)",
  async check(ctx) {
    const ns = ctx.options.fluxNamespace
    const todo = 'add it to the Git repository as a deploy key WITH write access (GitHub: Settings → Deploy keys → Add deploy key → Allow write access)'
    try {
      const {kc, api} = ctx.cluster()
      const key = await withFluxd(kc, api(CoreV1Api), ns, 3030, async (fluxd) => (await fluxd.identity()).key)
      return {state: 'manual', reason: `flux's public key is below; ${todo}`, details: [key]}
    } catch (error) {
      const said = error instanceof CliError ? error.message : (error as Error).message
      return {
        state: 'manual',
        reason: `flux's key cannot be read yet (${said}); once flux runs, \`elife-k8s flux identity --k8s-fwd-ns ${ns}\` prints it: ${todo}`,
      }
    }
  },
  async apply() {
    return 'nothing to change in the cluster'
  },
}

// ---------------------------------------------------------------------------------------------
// PodSecurityPolicy

/** What the AWS docs tell you to delete (eks.privileged and its role and binding). */
const eksPrivileged = {policy: 'eks.privileged', clusterRole: 'eks:podsecuritypolicy:privileged', binding: 'eks:podsecuritypolicy:authenticated'}
/** What releases/kube-system/podsecuritypolicy.yaml puts in place first (runbook step 4). */
const baseline = {policy: 'baseline', clusterRole: 'podsecuritypolicy:baseline', binding: 'podsecuritypolicy:authenticated'}

/**
 * Whether policy/v1beta1 podsecuritypolicies is served: a list of one answers 404 where the API
 * is gone (Kubernetes 1.25+).
 */
async function pspServed(ctx: BootstrapContext): Promise<{served: boolean; version: string}> {
  const version = (await ctx.cluster().api(VersionApi).getCode()).gitVersion
  try {
    await ctx.cluster().api(CustomObjectsApi).listClusterCustomObject({group: 'policy', version: 'v1beta1', plural: 'podsecuritypolicies', limit: 1})
    return {served: true, version}
  } catch (error) {
    if (isNotFound(error)) return {served: false, version}
    throw error
  }
}

async function exists(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read()
    return true
  } catch (error) {
    if (isNotFound(error)) return false
    throw error
  }
}

export interface PspFacts {
  served: boolean
  /** The API server's gitVersion. */
  version: string
  privileged: {policy: boolean; clusterRole: boolean; binding: boolean}
  baseline: {policy: boolean; clusterRole: boolean; binding: boolean}
}

/**
 * Runbook step 4, decided on what was read: not applicable without the PSP API; done once EKS's
 * privileged policy, role and binding are gone; refused while baseline's are not all in place
 * (deleting eks.privileged first would stop every new pod from being admitted).
 */
export function decidePsp(facts: PspFacts): StepCheck {
  if (!facts.served) {
    return {
      state: 'n/a',
      reason: `the PodSecurityPolicy API (policy/v1beta1 podsecuritypolicies) is not served by this cluster (Kubernetes ${facts.version}; it was removed in 1.25, and Pod Security Admission replaces it): there is no privileged policy to remove`,
    }
  }
  const {privileged, baseline: base} = facts
  if (!privileged.policy && !privileged.clusterRole && !privileged.binding)
    return {state: 'done', reason: `${eksPrivileged.policy} and its role and binding are gone`}
  const missing: string[] = []
  if (!base.policy) missing.push(`podsecuritypolicy ${baseline.policy}`)
  if (!base.clusterRole) missing.push(`clusterrole ${baseline.clusterRole}`)
  if (!base.binding) missing.push(`clusterrolebinding ${baseline.binding}`)
  if (missing.length > 0) {
    throw new CliError(
      'check-failed',
      `EKS's privileged PodSecurityPolicy cannot be removed yet: ${missing.join(', ')} missing (removing it first would stop every new pod from being admitted)`,
      {
        hint: 'apply releases/kube-system/podsecuritypolicy.yaml from the flux repository first (or let flux do it), then run bootstrap again',
      },
    )
  }
  const present = [
    privileged.policy ? `podsecuritypolicy ${eksPrivileged.policy}` : '',
    privileged.clusterRole ? `clusterrole ${eksPrivileged.clusterRole}` : '',
    privileged.binding ? `clusterrolebinding ${eksPrivileged.binding}` : '',
  ].filter(Boolean)
  return {state: 'todo', reason: `delete ${present.join(', ')} (baseline policy, role and binding are in place)`}
}

const pspStep: BootstrapStep = {
  id: 'psp',
  description: "remove EKS's privileged PodSecurityPolicy once the baseline policy, role and binding are in place",
  async check(ctx) {
    const {served, version} = await pspServed(ctx)
    const none = {policy: false, clusterRole: false, binding: false}
    if (!served) return decidePsp({served, version, privileged: none, baseline: none})
    const custom = ctx.cluster().api(CustomObjectsApi)
    const rbac = ctx.cluster().api(RbacAuthorizationV1Api)
    const psp = (name: string) => exists(() => custom.getClusterCustomObject({group: 'policy', version: 'v1beta1', plural: 'podsecuritypolicies', name}))
    const role = (name: string) => exists(() => rbac.readClusterRole({name}))
    const binding = (name: string) => exists(() => rbac.readClusterRoleBinding({name}))
    return decidePsp({
      served,
      version,
      privileged: {policy: await psp(eksPrivileged.policy), clusterRole: await role(eksPrivileged.clusterRole), binding: await binding(eksPrivileged.binding)},
      baseline: {policy: await psp(baseline.policy), clusterRole: await role(baseline.clusterRole), binding: await binding(baseline.binding)},
    })
  },
  async apply(ctx) {
    const custom = ctx.cluster().api(CustomObjectsApi)
    const rbac = ctx.cluster().api(RbacAuthorizationV1Api)
    const ignoreMissing = async (fn: () => Promise<unknown>) => {
      try {
        await fn()
      } catch (error) {
        if (!isNotFound(error)) throw error
      }
    }
    await ignoreMissing(() => rbac.deleteClusterRoleBinding({name: eksPrivileged.binding}))
    await ignoreMissing(() => rbac.deleteClusterRole({name: eksPrivileged.clusterRole}))
    await ignoreMissing(() =>
      custom.deleteClusterCustomObject({group: 'policy', version: 'v1beta1', plural: 'podsecuritypolicies', name: eksPrivileged.policy}),
    )
    return `${eksPrivileged.policy} removed; pods are admitted under ${baseline.policy}`
  },
}

// ---------------------------------------------------------------------------------------------
// kube-proxy (`elife-k8s kube-proxy fix`'s action)

function kubeProxyInput(ctx: BootstrapContext): KubeProxyInput {
  return {
    namespace: ctx.options.kubeProxyNamespace,
    bindAddress: ctx.options.kubeProxyBindAddress,
    bindAddressFlag: '--kube-proxy-bind-address',
    timeoutMs: ctx.options.timeoutMs,
    // The step's line says what is off; kube-proxy fix --check lists every finding.
    reportFindings: false,
  }
}

const kubeProxyStep: BootstrapStep = {
  id: 'kube-proxy',
  description: 'kube-proxy metrics for Prometheus (metricsBindAddress 0.0.0.0:10249, pods restarted)',
  async check(ctx) {
    const plan = await kubeProxyFix.plan(ctx.action(), kubeProxyInput(ctx))
    const {changes} = kubeProxyFix.describe(plan)
    const {fix} = plan
    if (changes.length === 0) return {state: 'done', reason: `kube-proxy serves metrics on ${fix.metricsBindAddress.to}; every pod current and Ready`}
    const summary: string[] = []
    if (fix.metricsBindAddress.changed) summary.push(`metricsBindAddress ${fix.metricsBindAddress.from} → ${fix.metricsBindAddress.to}`)
    if (fix.image.changed) summary.push(`image ${fix.image.from} → ${fix.image.to} (${fix.image.why})`)
    if (fix.restart.needed) summary.push(`restart kube-proxy one node at a time (${fix.restart.why})`)
    return {state: 'todo', reason: summary.join('; '), details: changes}
  },
  async apply(ctx) {
    const action = ctx.action()
    const plan = await kubeProxyFix.plan(action, kubeProxyInput(ctx))
    const nothing = kubeProxyFix.describe(plan).changes.length === 0
    return describeNow(nothing ? kubeProxyFix.notExecuted(plan, 'nothing-to-do') : await kubeProxyFix.execute(action, plan))
  },
}

export const bootstrapSteps: readonly BootstrapStep[] = [
  kubeconfigStep,
  crdsStep,
  namespaceStep,
  chartStep('flux', "flux chart with the runbook's values (helm upgrade -i flux fluxcd/flux --set git.url=… …)"),
  chartStep('helm-operator', "helm-operator chart with the runbook's values (helm upgrade -i helm-operator fluxcd/helm-operator --set …)"),
  deployKeyStep,
  pspStep,
  kubeProxyStep,
]

/** --only / --skip: the steps to consider, in the runbook's order; unknown names are a usage error. */
export function selectSteps(only: string[] | undefined, skip: string[] | undefined): {selected: StepId[]; skipped: StepId[]} {
  const known = new Set<string>(stepIds)
  for (const name of [...(only ?? []), ...(skip ?? [])]) {
    if (!known.has(name)) throw new CliError('usage', `unknown bootstrap step "${name}"`, {hint: `steps are: ${stepIds.join(', ')}`})
  }
  const selected = stepIds.filter((id) => (!only || only.length === 0 || only.includes(id)) && !(skip ?? []).includes(id))
  return {selected, skipped: stepIds.filter((id) => !selected.includes(id))}
}
