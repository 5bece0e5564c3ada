import path from 'node:path'

import type {Addon, Cluster, ClusterVersionInformation, DescribeAddonVersionsCommandOutput, EKSClient} from '@aws-sdk/client-eks'
import type {KubeConfig} from '@kubernetes/client-node'

import {CliError} from '../errors.js'
import {toAwsCliError} from '../eks/aws-errors.js'
import {eksClient, NoAwsRegion, resolveAwsRegion} from '../eks/clients.js'
import {signingCredentials} from '../eks/token.js'
import {defaultAddonVersion} from '../kube-proxy/eks.js'
import {parseImage, withTag} from '../kube-proxy/version.js'
import {type CheckOutcome, type DoctorCheck, type DoctorContext, type DoctorOptions, listSome, ok} from './check.js'

/**
 * The AWS side of the doctor: what EKS itself says about the cluster (DescribeCluster,
 * DescribeClusterVersions) and its three core add-ons (DescribeAddon, DescribeAddonVersions).
 * Both checks need the EKS cluster's name and AWS credentials; without them they are skipped with
 * the reason, never failed: the rest of the doctor works on any cluster.
 */

/** Which EKS cluster to ask about, and as whom. */
export interface EksTarget {
  cluster: string
  /** undefined: the SDK's own resolution (AWS_REGION, the profile's region). */
  region?: string
  profile?: string
  /** The role the kubeconfig's token is signed as (`token --role-arn`, `get-token --role-arn`). */
  roleArn?: string
  /** Where the name came from, for the messages. */
  source: string
}

export interface EksFlags {
  cluster?: string
  region?: string
}

interface ExecEntry {
  command?: string
  args?: string[]
  env?: Array<{name?: string; value?: string}>
}

/** `--name value` or `--name=value`, the last one given (as a flag parser would take it). */
function argValue(args: readonly string[], names: readonly string[]): string | undefined {
  let found: string | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    for (const name of names) {
      if (arg === name && i + 1 < args.length) found = args[i + 1]
      else if (arg.startsWith(`${name}=`)) found = arg.slice(name.length + 1)
    }
  }
  return found
}

const clusterArnPattern = /^arn:aws[\w-]*:eks:([\w-]+):\d{12}:cluster\/(.+)$/

/**
 * The EKS cluster of the kubeconfig's current context: --eks-cluster/--region first; else the exec
 * credential plugin's arguments as `elife-k8s kubeconfig` (`token --cluster X --region R`),
 * `aws eks update-kubeconfig` (`--region R eks get-token --cluster-name X`) or
 * aws-iam-authenticator (`token -i X`) write them; else the cluster entry's name when it is an EKS
 * ARN (update-kubeconfig names it so). Region likewise, then AWS_REGION / AWS_DEFAULT_REGION.
 * undefined: nothing names an EKS cluster.
 */
export function eksTarget(kc: KubeConfig, flags: EksFlags, env: NodeJS.ProcessEnv): EksTarget | undefined {
  const exec = (kc.getCurrentUser()?.exec ?? undefined) as ExecEntry | undefined
  const args = (exec?.args ?? []).map(String)
  const execEnv = Object.fromEntries((exec?.env ?? []).map((e) => [e.name ?? '', e.value ?? '']))
  const authenticator = path.basename(exec?.command ?? '')
  const fromExec =
    argValue(args, ['--cluster-name']) ??
    (authenticator.startsWith('aws-iam-authenticator')
      ? argValue(args, ['-i', '--cluster-id'])
      : args.includes('token')
        ? argValue(args, ['--cluster'])
        : undefined)
  const arn = clusterArnPattern.exec(kc.getCurrentCluster()?.name ?? '')
  const cluster = flags.cluster ?? fromExec ?? arn?.[2]
  if (!cluster) return undefined
  const source = flags.cluster ? '--eks-cluster' : fromExec ? "the kubeconfig's exec credential plugin" : "the kubeconfig's cluster ARN"
  const sameAsKubeconfig = cluster === fromExec || cluster === arn?.[2]
  const region =
    flags.region ??
    (sameAsKubeconfig ? (argValue(args, ['--region']) ?? execEnv.AWS_REGION ?? execEnv.AWS_DEFAULT_REGION ?? arn?.[1]) : undefined) ??
    env.AWS_REGION ??
    env.AWS_DEFAULT_REGION
  const roleArn = sameAsKubeconfig ? argValue(args, ['--role-arn', '--role', '-r']) : undefined
  return {cluster, region: region || undefined, profile: (sameAsKubeconfig ? execEnv.AWS_PROFILE : undefined) || undefined, roleArn, source}
}

/**
 * The doctor's EKS client, made where every EKS client is made (src/lib/eks/clients.ts: the
 * --request-timeout bound, retries included, and the standard credential chain), with the
 * kubeconfig's role assumed as `elife-k8s token` assumes it. Loaded on first use: a doctor run
 * without EKS never loads the SDK.
 */
async function doctorEksClient(target: EksTarget, region: string): Promise<EKSClient> {
  let assumed: ReturnType<typeof signingCredentials> | undefined
  const credentials = target.roleArn
    ? async () => (assumed ??= signingCredentials({cluster: target.cluster, roleArn: target.roleArn, profile: target.profile}, region))
    : undefined
  return eksClient({region, profile: target.profile, credentials})
}

/** What both EKS checks start from, asked once per run. */
type EksState = {skip: CheckOutcome} | {target: EksTarget; region: string; eks: EKSClient; cluster: Cluster}

/** A failed AWS call: skipped (no credentials, no region, not allowed) or failed (anything else), one line. */
function awsOutcome(error: unknown, what: string, target: EksTarget): CheckOutcome {
  const cliError = error instanceof CliError ? error : toAwsCliError(error, {what, profile: target.profile})
  if (cliError.kind === 'forbidden' || cliError.kind === 'usage') return {status: 'skipped', message: cliError.message, fix: cliError.hint}
  return {status: 'fail', message: cliError.message, fix: cliError.hint}
}

function eksState(ctx: DoctorContext, options: DoctorOptions): Promise<EksState> {
  return ctx.reader.shared('eks', async (): Promise<EksState> => {
    const target = eksTarget(ctx.reader.kc, options.eks ?? {}, process.env)
    if (!target) {
      return {
        skip: {
          status: 'skipped',
          message: "no EKS cluster named: the context's user runs no `token --cluster`/`eks get-token --cluster-name` and its cluster is not an EKS ARN",
          fix: 'pass --eks-cluster NAME (and --region) with AWS credentials to compare with what EKS says',
        },
      }
    }
    let region: string
    try {
      region = await resolveAwsRegion({cluster: target.cluster, region: target.region, profile: target.profile})
    } catch (error) {
      if (!(error instanceof NoAwsRegion)) return {skip: awsOutcome(error, `find the AWS region of EKS cluster "${target.cluster}"`, target)}
      return {
        skip: {
          status: 'skipped',
          message: `no AWS region for EKS cluster "${target.cluster}" (from ${target.source})`,
          fix: 'pass --region, set AWS_REGION, or set region in the AWS profile',
        },
      }
    }
    const eks = await doctorEksClient(target, region)
    ctx.reader.onDispose(() => eks.destroy())
    const {DescribeClusterCommand} = await import('@aws-sdk/client-eks')
    try {
      const described = await eks.send(new DescribeClusterCommand({name: target.cluster}))
      if (!described.cluster) throw new CliError('not-found', `EKS cluster "${target.cluster}" was not found in ${region}`)
      return {target, region, eks, cluster: described.cluster}
    } catch (error) {
      return {skip: awsOutcome(error, `describe EKS cluster "${target.cluster}" in ${region} (from ${target.source})`, target)}
    }
  })
}

const dayMs = 86_400_000
/** Standard support ending within this many days is worth a warning (an upgrade takes planning). */
export const nearEndOfSupportDays = 90

const isoDay = (date: Date | undefined): string => (date ? date.toISOString().slice(0, 10) : '?')

/**
 * What DescribeClusterVersions says about the cluster's Kubernetes minor: only the API's own
 * status and dates, never a calendar of our own.
 */
export function supportVerdict(
  version: string,
  info: ClusterVersionInformation | undefined,
  upgradePolicy: string | undefined,
  now: Date,
): {status: 'ok' | 'warn' | 'fail'; text: string} {
  if (!info) return {status: 'ok', text: `DescribeClusterVersions does not list ${version}: its support status is unknown`}
  const status = (info.versionStatus ?? info.status ?? '').toUpperCase().replace(/-/g, '_')
  const standardEnd = info.endOfStandardSupportDate
  const extendedEnd = info.endOfExtendedSupportDate
  const then =
    upgradePolicy === 'STANDARD'
      ? 'then EKS upgrades the control plane itself (upgradePolicy STANDARD)'
      : upgradePolicy === 'EXTENDED'
        ? 'then extended support, billed extra (upgradePolicy EXTENDED)'
        : "then extended support or an automatic upgrade, as the cluster's upgradePolicy says"
  if (status === 'UNSUPPORTED')
    return {status: 'fail', text: `Kubernetes ${version} is no longer supported by EKS${extendedEnd ? ` (extended support ended ${isoDay(extendedEnd)})` : ''}`}
  if (status === 'EXTENDED_SUPPORT') {
    return {
      status: 'warn',
      text: `Kubernetes ${version} is in extended support (billed extra)${standardEnd ? ` since ${isoDay(standardEnd)}` : ''}${extendedEnd ? `, until ${isoDay(extendedEnd)}` : ''}`,
    }
  }
  if (!standardEnd) return {status: 'ok', text: `Kubernetes ${version} is in standard support`}
  const days = Math.ceil((standardEnd.getTime() - now.getTime()) / dayMs)
  if (days <= nearEndOfSupportDays)
    return {status: 'warn', text: `standard support for Kubernetes ${version} ends ${isoDay(standardEnd)} (in ${days} days); ${then}`}
  return {status: 'ok', text: `Kubernetes ${version} is in standard support until ${isoDay(standardEnd)}`}
}

const nextMinor = (version: string): string => {
  const [major, minor] = version.split('.').map(Number)
  return Number.isFinite(minor) ? `${major}.${minor + 1}` : version
}

/** The control plane as EKS reports it: Kubernetes and platform version, support status, health issues. */
export const eksControlPlane: DoctorCheck = {
  id: 'eks',
  title: 'EKS control plane (DescribeCluster)',
  async run(ctx, options) {
    const state = await eksState(ctx, options)
    if ('skip' in state) return state.skip
    const {cluster, eks, target, region} = state
    const version = cluster.version ?? '?'
    const head = `EKS cluster "${target.cluster}" (${region}): Kubernetes ${version}, platform ${cluster.platformVersion ?? '?'}, ${cluster.status ?? '?'}`
    const {DescribeClusterVersionsCommand} = await import('@aws-sdk/client-eks')
    let support: {status: 'ok' | 'warn' | 'fail'; text: string}
    try {
      const versions = await eks.send(new DescribeClusterVersionsCommand({clusterVersions: [version], includeAll: true}))
      support = supportVerdict(
        version,
        versions.clusterVersions?.find((v) => v.clusterVersion === version),
        cluster.upgradePolicy?.supportType,
        options.now,
      )
    } catch (error) {
      const outcome = awsOutcome(error, 'list EKS cluster versions', target)
      support = {status: 'ok', text: `support status unknown (${outcome.message})`}
    }
    const issues = (cluster.health?.issues ?? []).map((i) => `${i.code ?? 'issue'}: ${i.message?.split('\n')[0] ?? ''}`.trim())
    const status = support.status === 'fail' ? 'fail' : support.status === 'warn' || issues.length > 0 ? 'warn' : 'ok'
    const message = `${head}; ${support.text}${issues.length > 0 ? `; health issues: ${listSome(issues, 3)}` : ''}`
    if (status === 'ok') return ok(message)
    const fix =
      support.status !== 'ok'
        ? `plan the upgrade: elife-k8s doctor --kubernetes-version ${nextMinor(version)}, then aws eks update-cluster-version --name ${target.cluster} --region ${region} --kubernetes-version ${nextMinor(version)}`
        : `aws eks describe-cluster --name ${target.cluster} --region ${region} --query cluster.health`
    return {status, message, objects: issues.length > 0 ? issues : undefined, fix}
  },
}

/** The three add-ons every EKS cluster has, and where each runs when EKS does not manage it. */
const coreAddons = [
  {addon: 'kube-proxy', kind: 'DaemonSet', plural: 'daemonsets', name: 'kube-proxy', containers: {'kube-proxy': ''}},
  {addon: 'coredns', kind: 'Deployment', plural: 'deployments', name: 'coredns', containers: {coredns: ''}},
  // The VPC CNI's init container carries the same version in the -init repository.
  {addon: 'vpc-cni', kind: 'DaemonSet', plural: 'daemonsets', name: 'aws-node', containers: {'aws-node': '', 'aws-vpc-cni-init': ''}},
] as const

/** v1.12.3-eksbuild.1 -> [1, 12, 3, 1]; undefined when it is not an EKS add-on version. */
export function addonVersionKey(version: string | undefined): number[] | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(?:-eksbuild\.(\d+))?/.exec(version ?? '')
  return match ? [Number(match[1]), Number(match[2]), Number(match[3]), Number(match[4] ?? 0)] : undefined
}

/** Negative when a is older than b; undefined when either cannot be read. */
export function compareAddonVersions(a: string | undefined, b: string | undefined): number | undefined {
  const ka = addonVersionKey(a)
  const kb = addonVersionKey(b)
  if (!ka || !kb) return undefined
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] - kb[i]
  return 0
}

interface AddonFinding {
  addon: string
  line: string
  behind: boolean
  fix?: string
  /** Upgrade readiness: the running version against the add-on versions EKS lists for the target minor. */
  upgrade?: {line: string; verdict: UpgradeVerdict; fix?: string}
}

/** listed: the running version is among those EKS lists for the target; unlisted: EKS lists none for it. */
type UpgradeVerdict = 'listed' | 'unlisted' | 'incompatible'

type AddonVersionsOutput = Pick<DescribeAddonVersionsCommandOutput, 'addons'>

/** The versions of one add-on DescribeAddonVersions lists (for the minor it was asked about). */
export function listedAddonVersions(output: AddonVersionsOutput, addonName: string): string[] {
  return (output.addons ?? [])
    .filter((a) => a.addonName === addonName)
    .flatMap((a) => (a.addonVersions ?? []).map((v) => v.addonVersion))
    .filter((v): v is string => Boolean(v))
}

/**
 * Upgrade readiness of one add-on for Kubernetes `target` (DescribeAddonVersions with
 * kubernetesVersion=target, as `aws eks describe-addon-versions --kubernetes-version` asks): is
 * the running version among those EKS lists for it? When not, the version to move to first is one
 * EKS lists for both the cluster's minor and the target (the target's default when it is one,
 * else the newest), so the add-on can move before the control plane does; when no version is
 * listed for both, it moves right after the control plane, to the target's default.
 */
export function upgradeVerdict(
  addon: string,
  running: string,
  current: {version: string; listed: readonly string[]},
  target: {version: string; listed: readonly string[]; default?: string},
): {line: string; verdict: UpgradeVerdict; moveTo?: string; after?: boolean} {
  if (target.listed.length === 0)
    return {line: `${addon}: DescribeAddonVersions lists no version for Kubernetes ${target.version}: not compared`, verdict: 'unlisted'}
  if (target.listed.includes(running)) return {line: `${addon} ${running} is among the versions EKS lists for Kubernetes ${target.version}`, verdict: 'listed'}
  const newest = (versions: readonly string[]) => [...versions].sort((a, b) => compareAddonVersions(b, a) ?? 0)[0]
  const both = target.listed.filter((v) => current.listed.includes(v))
  if (both.length > 0) {
    const moveTo = target.default && both.includes(target.default) ? target.default : newest(both)
    return {
      line: `${addon} ${running} is not among the versions EKS lists for Kubernetes ${target.version}: move to ${moveTo} first (listed for ${current.version} and ${target.version})`,
      verdict: 'incompatible',
      moveTo,
    }
  }
  const moveTo = target.default ?? newest(target.listed)
  return {
    line: `${addon} ${running} is not among the versions EKS lists for Kubernetes ${target.version}, and none is listed for both ${current.version} and ${target.version}: move to ${moveTo} right after the control plane`,
    verdict: 'incompatible',
    moveTo,
    after: true,
  }
}

/**
 * kube-proxy, CoreDNS and the VPC CNI against the default version DescribeAddonVersions lists for
 * the cluster's Kubernetes minor: the managed add-on's version (DescribeAddon), else the image of
 * what runs in kube-system; and, for upgrade readiness, against the versions it lists for
 * --kubernetes-version (default: the next minor).
 */
export const eksAddons: DoctorCheck = {
  id: 'eks-addons',
  title: 'EKS add-on versions (kube-proxy, CoreDNS, VPC CNI)',
  async run(ctx, options) {
    const state = await eksState(ctx, options)
    if ('skip' in state) return state.skip
    const {cluster, eks, target, region} = state
    const version = cluster.version
    if (!version) return {status: 'skipped', message: `DescribeCluster gave no Kubernetes version for "${target.cluster}"`}
    const upgradeTo = options.targetVersion ?? nextMinor(version)
    const {DescribeAddonCommand, DescribeAddonVersionsCommand} = await import('@aws-sdk/client-eks')
    let findings: AddonFinding[]
    try {
      findings = await Promise.all(
        coreAddons.map(async (spec): Promise<AddonFinding> => {
          let managed: Addon | undefined
          try {
            managed = (await eks.send(new DescribeAddonCommand({clusterName: target.cluster, addonName: spec.addon}))).addon
          } catch (error) {
            if ((error as {name?: string})?.name !== 'ResourceNotFoundException' || /no cluster/i.test((error as Error).message)) throw error
          }
          const [versions, targetVersions] = await Promise.all([
            eks.send(new DescribeAddonVersionsCommand({addonName: spec.addon, kubernetesVersion: version})),
            upgradeTo === version ? undefined : eks.send(new DescribeAddonVersionsCommand({addonName: spec.addon, kubernetesVersion: upgradeTo})),
          ])
          const recommended = defaultAddonVersion(versions, version, spec.addon)
          let running: string | undefined
          let images: Record<string, string> = {}
          let how: string
          if (managed) {
            running = managed.addonVersion
            how = `managed${managed.status && managed.status !== 'ACTIVE' ? `, ${managed.status}` : ''}`
          } else {
            const workload = await ctx.reader.get({group: 'apps', version: 'v1', plural: spec.plural}, spec.name, 'kube-system')
            if (!workload)
              return {addon: spec.addon, line: `${spec.addon}: not installed (no ${spec.kind} kube-system/${spec.name}, not an EKS add-on)`, behind: false}
            const containers =
              (
                workload.spec as {
                  template?: {spec?: {containers?: Array<{name: string; image?: string}>; initContainers?: Array<{name: string; image?: string}>}}
                }
              ).template?.spec ?? {}
            images = Object.fromEntries(
              [...(containers.initContainers ?? []), ...(containers.containers ?? [])]
                .filter((c) => c.name in spec.containers && c.image)
                .map((c) => [c.name, c.image!]),
            )
            const main = images[Object.keys(spec.containers)[0]]
            running = main ? parseImage(main).tag : undefined
            how = `self-managed, ${spec.kind} kube-system/${spec.name}`
          }
          /** The command that moves this add-on to `to`, the way it is installed. */
          const moveFix = (to: string): string => {
            if (managed) return `aws eks update-addon --cluster-name ${target.cluster} --region ${region} --addon-name ${spec.addon} --addon-version ${to}`
            if (spec.addon === 'kube-proxy') return `elife-k8s kube-proxy fix --eks-cluster ${target.cluster} --region ${region} --image ${to}`
            const set = Object.entries(images).map(([container, image]) => `${container}=${withTag(image, to)}`)
            return `kubectl -n kube-system set image ${spec.kind.toLowerCase()}/${spec.name} ${set.join(' ')}`
          }
          let upgrade: AddonFinding['upgrade']
          if (targetVersions && running && addonVersionKey(running)) {
            const verdict = upgradeVerdict(
              spec.addon,
              running,
              {version, listed: listedAddonVersions(versions, spec.addon)},
              {
                version: upgradeTo,
                listed: listedAddonVersions(targetVersions, spec.addon),
                default: defaultAddonVersion(targetVersions, upgradeTo, spec.addon),
              },
            )
            upgrade = {
              line: verdict.line,
              verdict: verdict.verdict,
              fix: verdict.moveTo ? `${verdict.after ? `after the control plane is on ${upgradeTo}: ` : ''}${moveFix(verdict.moveTo)}` : undefined,
            }
          }
          if (!recommended)
            return {
              addon: spec.addon,
              line: `${spec.addon} ${running ?? '?'} (${how}): DescribeAddonVersions lists no default for Kubernetes ${version}`,
              behind: false,
              upgrade,
            }
          const order = compareAddonVersions(running, recommended)
          if (order === undefined)
            return {
              addon: spec.addon,
              line: `${spec.addon} ${running ?? '?'} (${how}): cannot compare with EKS's default ${recommended}`,
              behind: false,
              upgrade,
            }
          if (order >= 0)
            return {
              addon: spec.addon,
              line: `${spec.addon} ${running} (${how})${order > 0 ? ` newer than the default ${recommended}` : ''}`,
              behind: false,
              upgrade,
            }
          return {
            addon: spec.addon,
            line: `${spec.addon} ${running} (${how}) is behind EKS's default ${recommended}`,
            behind: true,
            fix: moveFix(recommended),
            upgrade,
          }
        }),
      )
    } catch (error) {
      return awsOutcome(error, `ask EKS about the add-ons of "${target.cluster}" in ${region}`, target)
    }
    const behind = findings.filter((f) => f.behind)
    const incompatible = findings.filter((f) => f.upgrade?.verdict === 'incompatible')
    const lines = [...findings.map((f) => f.line), ...findings.flatMap((f) => (f.upgrade ? [f.upgrade.line] : []))]
    const named = (verdict: UpgradeVerdict) =>
      findings
        .filter((f) => f.upgrade?.verdict === verdict)
        .map((f) => f.addon)
        .join(', ')
    const readiness = [
      named('listed') && `${named('listed')} at versions EKS lists for it`,
      named('unlisted') && `${named('unlisted')} not compared (DescribeAddonVersions lists no version for it)`,
    ].filter(Boolean)
    if (behind.length === 0 && incompatible.length === 0)
      return ok(
        `for Kubernetes ${version}: ${findings.map((f) => f.line).join('; ')}${readiness.length > 0 ? `; upgrade to ${upgradeTo}: ${readiness.join('; ')}` : ''}`,
        lines,
      )
    // One fix per add-on: the move that also readies it for the upgrade, when one is needed.
    const fixes = findings.flatMap((f) => (f.upgrade?.verdict === 'incompatible' && f.upgrade.fix ? [f.upgrade.fix] : f.behind && f.fix ? [f.fix] : []))
    return {
      status: 'warn',
      message: `for Kubernetes ${version}: ${listSome([...behind.map((f) => f.line), ...incompatible.map((f) => f.upgrade!.line)])}`,
      objects: lines,
      fix: fixes.join('; '),
    }
  },
}
