// The flags of the commands that have a fast path (`helm list`, `images`, `lint`, `token`) and the global
// flags of every command, declared once as plain data. The oclif commands (src/commands, and
// BaseCommand.baseFlags) pass each one to the oclif flag constructor of its type; the fast paths
// (src/lib/cli/fast.ts, src/lib/eks/token-fast.ts) parse argv with the same objects, without
// loading oclif. test/unit/fast-flags.test.ts checks the built manifest against them.

import {defaultRequestTimeout} from '../kube/timeouts.js'
import {defaultKubernetesVersion} from '../rules/deprecations.js'

export interface FlagSpec {
  type: 'boolean' | 'string' | 'option'
  description: string
  char?: string
  /** For 'option': the values allowed. */
  options?: readonly string[]
  default?: boolean | string
  required?: boolean
  /** Repeatable (`--rule a --rule b`): oclif gives a list. */
  multiple?: boolean
  helpGroup?: string
  /** For -o/--output (a 'string' flag, checked by checkOutputFormat): the formats the command offers. */
  formats?: readonly OutputFormat[]
  /** For -n: where the command acts without it, if not the context's namespace. */
  defaultNamespace?: string
}

/**
 * What -o/--output may name, as kubectl's: `json` is --json (the same bytes), `yaml` the same
 * result as YAML; `wide` and `name` only where a command declares them (outputFlag).
 */
export const outputFormats = ['json', 'yaml', 'wide', 'name'] as const
export type OutputFormat = (typeof outputFormats)[number]

/**
 * -o/--output for a command offering json and yaml (every command, BaseCommand.baseFlags) and, where
 * declared, wide and name with what they show. A string flag, not an option: a format the command
 * does not offer gets one line naming those it does (checkOutputFormat), the same on the fast path.
 */
export function outputFlag(extra: {wide?: string; name?: string} = {}, {yaml = true} = {}) {
  // A stream (logs' JSON lines) has no single result to show as YAML.
  const base: Array<[OutputFormat, string]> = [['json', 'the same as --json'], ...(yaml ? [['yaml', 'the same result as YAML'] as [OutputFormat, string]] : [])]
  const all = [...base, ...(Object.entries(extra) as Array<[OutputFormat, string]>)]
  return {
    type: 'string',
    char: 'o',
    description: `Output format, as kubectl's -o: ${orList(all.map(([format, what]) => `${format} (${what})`))}.`,
    helpGroup: 'GLOBAL',
    formats: all.map(([format]) => format),
  } as const satisfies FlagSpec
}

/** "a", "a or b", "a, b or c". */
export function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`
}

/**
 * -n/--namespace, whose help states the command's real default: the context's namespace (as
 * kubectl), or the namespace the command's component lives in (namespaceFlag in src/base-command.ts).
 */
export function namespaceFlag(defaultNamespace?: string) {
  const description = defaultNamespace
    ? `Namespace (default: ${defaultNamespace}, not the context's namespace).`
    : 'Namespace (default: the context\'s namespace, else "default").'
  return {type: 'string', char: 'n', description, helpGroup: 'GLOBAL', defaultNamespace} as const satisfies FlagSpec
}

/** BaseCommand.baseFlags: every command has them (and oclif's --json). */
export const globalFlags = {
  kubeconfig: {
    type: 'string',
    description: 'Path to the kubeconfig file (default: $KUBECONFIG, merged as kubectl does, else ~/.kube/config).',
    helpGroup: 'GLOBAL',
  },
  context: {type: 'string', description: 'The kubeconfig context to use.', helpGroup: 'GLOBAL'},
  namespace: namespaceFlag(),
  output: outputFlag(),
  debug: {type: 'boolean', description: 'Show stack traces and API details on failure.', helpGroup: 'GLOBAL', default: false},
  'no-color': {type: 'boolean', description: 'Do not colour output (also: NO_COLOR=1).', helpGroup: 'GLOBAL', default: false},
  'request-timeout': {
    type: 'string',
    description: `How long to wait on the API server or AWS before giving up (exit 5), as kubectl's: a Go duration such as 500ms, 30s, 1m (default ${defaultRequestTimeout}; 0: no limit). Connect plus TLS handshake get at most 15s.`,
    helpGroup: 'GLOBAL',
  },
} as const satisfies Record<string, FlagSpec>

export type GlobalFlagName = keyof typeof globalFlags

/**
 * The global flags without those a command has no use for: a flag accepted and silently ignored
 * (-n on a command that acts in no namespace, --context on one that reads no kubeconfig) misleads,
 * so such a command does not take it (oclif refuses it, exit 2). BaseCommand's baseFlagsOf turns
 * the result into the command's baseFlags.
 */
export function globalFlagsWithout<K extends GlobalFlagName>(...names: K[]): Omit<typeof globalFlags, K> {
  return Object.fromEntries(Object.entries(globalFlags).filter(([name]) => !names.includes(name as K))) as Omit<typeof globalFlags, K>
}

/** `token` talks to AWS only: no kubeconfig, context or namespace. Its fast path reads this too. */
export const tokenGlobalFlags = globalFlagsWithout('kubeconfig', 'context', 'namespace')

/** oclif's --json (BaseCommand.enableJsonFlag), as the fast path parses it. */
export const jsonFlag = {type: 'boolean', description: 'Format output as json.'} as const satisfies FlagSpec

/** Declared by commands that list across namespaces (kubectl's -A). */
export const allNamespacesFlag = {
  type: 'boolean',
  char: 'A',
  description: 'Look in all namespaces (overrides --namespace).',
  default: false,
} as const satisfies FlagSpec

export const helmListFlags = {
  'all-namespaces': allNamespacesFlag,
  stuck: {type: 'boolean', description: 'Only releases whose latest revision is failed or pending-*.', default: false},
  strict: {
    type: 'boolean',
    description: 'Exit 6 if a release record cannot be decoded (it is skipped with a warning either way, as helm skips it).',
    default: false,
  },
  // helm list's own -o (helm's table|json|yaml, and kubectl's name), not the generic one: json and
  // yaml are helm's shape.
  output: {
    type: 'option',
    char: 'o',
    options: ['table', 'json', 'yaml', 'name'],
    description:
      'Output format: table (default, with owners), json/yaml exactly as `helm list -o json|yaml` prints them (name, namespace, revision, updated, status, chart, app_version), for scripts written for helm, or name (release names, one a line).',
  },
} as const satisfies Record<string, FlagSpec>

export const imagesFlags = {
  'all-namespaces': allNamespacesFlag,
  output: outputFlag({wide: 'the same as --wide'}),
  by: {type: 'option', options: ['image', 'pod'], default: 'image', description: 'One row per image, or one row per container of each pod.'},
  wide: {type: 'boolean', description: 'With --by pod: add the running digest and the pod phase (refused without --by pod).', default: false},
  selector: {type: 'string', char: 'l', description: 'Only pods matching this label selector (e.g. app=journal).'},
  image: {type: 'string', description: 'Only images matching this pattern (substring, or a glob with *).'},
} as const satisfies Record<string, FlagSpec>

/** lint reads files (and, with --from-cluster, the cluster's CRDs): no namespace. */
export const lintGlobalFlags = globalFlagsWithout('namespace')

export const lintFlags = {
  format: {type: 'option', description: 'Output format (--json is the same as --format json).', options: ['text', 'json', 'sarif', 'github'], default: 'text'},
  rule: {type: 'string', description: 'Run only this rule (repeatable, or comma-separated).', multiple: true},
  'skip-rule': {type: 'string', description: 'Do not run this rule (repeatable, or comma-separated).', multiple: true},
  severity: {type: 'option', description: 'Report findings of this severity and worse.', options: ['warning', 'error'], default: 'warning'},
  'kubernetes-version': {
    type: 'string',
    description: 'The Kubernetes minor to check deprecated and removed APIs against (e.g. 1.33).',
    default: defaultKubernetesVersion,
  },
  online: {
    type: 'boolean',
    description: 'Also render HelmReleases whose charts are in other Git repositories or in chart repositories (fetches them).',
    default: false,
  },
  'helm-binary': {type: 'string', description: 'The helm 3 binary that renders charts (default: $ELIFE_K8S_HELM, else helm on PATH).'},
  'from-cluster': {
    type: 'boolean',
    description:
      "Also validate custom resources against the live cluster's CRDs (read from its API; the cluster's version of a kind wins over the bundled one).",
    default: false,
  },
} as const satisfies Record<string, FlagSpec>

export const tokenFlags = {
  cluster: {type: 'string', description: 'EKS cluster name (for a local cluster on Outposts: its id).', required: true},
  region: {type: 'string', description: "AWS region (default: $AWS_REGION, $AWS_DEFAULT_REGION, else the profile's region)."},
  'role-arn': {type: 'string', description: 'IAM role to assume (through STS) and sign the token as.'},
  profile: {type: 'string', description: 'AWS profile to take credentials from (default: $AWS_PROFILE, else the standard chain).'},
} as const satisfies Record<string, FlagSpec>

/**
 * A declaration as the options of oclif's flag constructor of its type (`Flags.boolean`,
 * `Flags.string`, `Flags.option`), which sets the type itself.
 */
export function oclifOptions<S extends FlagSpec>(spec: S): Omit<S, 'type'> {
  const {type: _type, ...options} = spec
  return options
}
