import {isIPv6} from 'node:net'

import {asList, asObj, describeSelector, fieldPath, groupOf, isObj, labelsOf, selectorMatches, stringMap, type Obj} from './kube.js'
import type {KubeObject, PathSegment, Rule} from './types.js'

// Issue 17, rule 2 continued: what the API server's validation code refuses on objects whose
// OpenAPI schema is satisfied (names, label keys, ConfigMap keys, selectors that do not match
// their pod templates...): the mistakes Flux reports only once a commit reaches the cluster.
// Each check is ported from the upstream Go at the Kubernetes version the project pins
// (scripts/cluster/versions.env K8S_VERSION=v1.35.4: k8s.io/kubernetes@v1.35.4 and
// k8s.io/apimachinery@v0.35.4); the comment next to it names the file and function.
// test/integration/lint-dryrun.test.ts holds lint's verdict against the real API server's.

const group = 'Schemas'

/** One thing the API server's validation refuses: where, and what is wrong (never a secret value). */
export interface ValidationProblem {
  path: PathSegment[]
  message: string
}

// ---------------------------------------------------------------------------------------------
// Formats: k8s.io/apimachinery@v0.35.4 pkg/util/validation/validation.go and
// pkg/api/validate/content/{kube,dns}.go. Each returns what is wrong, [] when the value is valid.

// validation.go: dns1123LabelFmt, DNS1123LabelMaxLength
const dns1123Label = '[a-z0-9]([-a-z0-9]*[a-z0-9])?'
const dns1123LabelRegexp = new RegExp(`^${dns1123Label}$`)
// validation.go: dns1123SubdomainFmt, DNS1123SubdomainMaxLength
const dns1123SubdomainRegexp = new RegExp(`^${dns1123Label}(\\.${dns1123Label})*$`)
// validation.go: dns1035LabelFmt
const dns1035LabelRegexp = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
// content/kube.go: labelKeyFmt (also the label value's, optional), labelKeyMaxLength, LabelValueMaxLength
const labelKeyRegexp = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/
// validation.go: configMapKeyFmt
const configMapKeyRegexp = /^[-._a-zA-Z0-9]+$/

/** validation.go MaxLenError. Lengths are Go's len(): bytes. */
function tooLong(value: string, max: number): string[] {
  return Buffer.byteLength(value) > max ? [`must be no more than ${max} characters`] : []
}

/** validation.go IsDNS1123Label. */
export function isDNS1123Label(value: string): string[] {
  const errs = tooLong(value, 63)
  if (!dns1123LabelRegexp.test(value)) {
    // A valid subdomain that is not a valid label: it has dots.
    errs.push(
      dns1123SubdomainRegexp.test(value)
        ? 'must not contain dots'
        : 'must be a lowercase RFC 1123 label: lower case letters, digits and "-", starting and ending with a letter or digit',
    )
  }
  return errs
}

/** validation.go IsDNS1123Subdomain (content/dns.go IsDNS1123Subdomain is the same). */
export function isDNS1123Subdomain(value: string): string[] {
  const errs = tooLong(value, 253)
  if (!dns1123SubdomainRegexp.test(value))
    errs.push('must be a lowercase RFC 1123 subdomain: lower case letters, digits, "-" and ".", starting and ending with a letter or digit')
  return errs
}

/** validation.go IsDNS1035Label. */
export function isDNS1035Label(value: string): string[] {
  const errs = tooLong(value, 63)
  if (!dns1035LabelRegexp.test(value))
    errs.push('must be an RFC 1035 label: lower case letters, digits and "-", starting with a letter and ending with a letter or digit')
  return errs
}

/** content/kube.go IsLabelKey (= IsQualifiedName): [prefix/]name, prefix a DNS subdomain, name at most 63 characters. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = []
  const parts = value.split('/')
  let name: string
  if (parts.length === 1) name = parts[0]
  else if (parts.length === 2) {
    const prefix = parts[0]
    name = parts[1]
    if (prefix.length === 0) errs.push('prefix part must be non-empty')
    else errs.push(...isDNS1123Subdomain(prefix).map((msg) => `prefix part ${msg}`))
  } else {
    return ['must be a name (letters, digits, "-", "_" and ".", starting and ending with a letter or digit) with an optional DNS subdomain prefix and "/"']
  }
  if (name.length === 0) errs.push('name part must be non-empty')
  else if (Buffer.byteLength(name) > 63) errs.push('name part must be no more than 63 characters')
  if (!labelKeyRegexp.test(name)) errs.push('name part must consist of letters, digits, "-", "_" or ".", and must start and end with a letter or digit')
  return errs
}

/** content/kube.go IsLabelValue. */
export function isLabelValue(value: string): string[] {
  const errs = tooLong(value, 63)
  if (value !== '' && !labelKeyRegexp.test(value))
    errs.push('must be empty or consist of letters, digits, "-", "_" or ".", and must start and end with a letter or digit')
  return errs
}

/** validation.go IsConfigMapKey (with hasChDirPrefix). */
export function isConfigMapKey(value: string): string[] {
  const errs = tooLong(value, 253)
  if (!configMapKeyRegexp.test(value)) errs.push('must consist of letters, digits, "-", "_" or "." (e.g. key.name, KEY_NAME, key-name)')
  if (value === '.') errs.push("must not be '.'")
  else if (value === '..') errs.push("must not be '..'")
  else if (value.startsWith('..')) errs.push("must not start with '..'")
  return errs
}

/** validation.go IsValidPortName (IANA_SVC_NAME). */
export function isValidPortName(port: string): string[] {
  const errs = tooLong(port, 15)
  if (!/^[-a-z0-9]+$/.test(port)) errs.push('must contain only lower case letters, digits and "-"')
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)')
  if (port.includes('--')) errs.push('must not contain consecutive hyphens')
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) errs.push('must not begin or end with a hyphen')
  return errs
}

/** apimachinery pkg/api/validation/path/name.go IsValidPathSegmentName (RBAC names: ValidateRBACName). */
export function isValidPathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`]
  return ['/', '%'].filter((bad) => name.includes(bad)).map((bad) => `may not contain '${bad}'`)
}

// ---------------------------------------------------------------------------------------------
// metadata.name: the name validator each kind's Validate<Kind> passes to ValidateObjectMeta.

type NameValidator = (name: string) => string[]

/**
 * By "group/Kind". Built-in kinds not listed get the path segment check every kind gets (their
 * own validators, where stricter, are not ported); a CRD's name is checked in nameValidatorFor.
 */
const nameValidators: Record<string, NameValidator> = {
  // k8s.io/kubernetes@v1.35.4 pkg/apis/core/validation/validation.go
  '/Namespace': isDNS1123Label, // ValidateNamespace: ValidateNamespaceName = NameIsDNSLabel
  // ValidateService: ValidateServiceName = NameIsDNS1035Label (RelaxedServiceNameValidation, alpha and off in 1.35, would allow DNS labels)
  '/Service': isDNS1035Label,
  '/ConfigMap': isDNS1123Subdomain, // ValidateConfigMap: ValidateConfigMapName
  '/Secret': isDNS1123Subdomain, // ValidateSecret: ValidateSecretName
  '/ServiceAccount': isDNS1123Subdomain, // ValidateServiceAccount: ValidateServiceAccountName
  '/Pod': isDNS1123Subdomain, // ValidatePodCreate: ValidatePodName
  '/PodTemplate': isDNS1123Subdomain, // ValidatePodTemplate: ValidatePodName
  '/PersistentVolume': isDNS1123Subdomain, // ValidatePersistentVolume: ValidatePersistentVolumeName
  '/PersistentVolumeClaim': isDNS1123Subdomain, // ValidatePersistentVolumeClaim: ValidatePersistentVolumeName
  '/Endpoints': isDNS1123Subdomain, // ValidateEndpointsCreate: ValidateEndpointsName
  '/LimitRange': isDNS1123Subdomain, // ValidateLimitRange: ValidateLimitRangeName
  '/ResourceQuota': isDNS1123Subdomain, // ValidateResourceQuota: ValidateResourceQuotaName
  // pkg/apis/apps/validation/validation.go
  'apps/Deployment': isDNS1123Subdomain, // ValidateDeployment: ValidateDeploymentName
  'apps/ReplicaSet': isDNS1123Subdomain, // ValidateReplicaSet: ValidateReplicaSetName
  'apps/DaemonSet': isDNS1123Subdomain, // ValidateDaemonSet: ValidateDaemonSetName
  'apps/StatefulSet': isDNS1123Label, // ValidateStatefulSet: ValidateStatefulSetName = NameIsDNSLabel
  // pkg/apis/batch/validation/validation.go
  'batch/Job': isDNS1123Subdomain, // ValidateJob: NameIsDNSSubdomain
  // ValidateCronJobCreate: NameIsDNSSubdomain, and at most 52 characters (the controller appends an 11-character suffix)
  'batch/CronJob': (name) => [...isDNS1123Subdomain(name), ...(Buffer.byteLength(name) > 52 ? ['must be no more than 52 characters'] : [])],
  // pkg/apis/networking/validation/validation.go
  'networking.k8s.io/Ingress': isDNS1123Subdomain, // ValidateIngressCreate: ValidateIngressName
  'networking.k8s.io/IngressClass': isDNS1123Subdomain, // ValidateIngressClass: ValidateIngressClassName
  'networking.k8s.io/NetworkPolicy': isDNS1123Subdomain, // ValidateNetworkPolicy: ValidateNetworkPolicyName
  // pkg/apis/autoscaling/validation/validation.go ValidateHorizontalPodAutoscaler: ValidateHorizontalPodAutoscalerName
  'autoscaling/HorizontalPodAutoscaler': isDNS1123Subdomain,
  // pkg/apis/rbac/validation/validation.go: ValidateRBACName = path.IsValidPathSegmentName ("system:foo" is fine)
  'rbac.authorization.k8s.io/Role': isValidPathSegmentName,
  'rbac.authorization.k8s.io/ClusterRole': isValidPathSegmentName,
  'rbac.authorization.k8s.io/RoleBinding': isValidPathSegmentName,
  'rbac.authorization.k8s.io/ClusterRoleBinding': isValidPathSegmentName,
  // pkg/apis/storage/validation/validation.go ValidateStorageClass: ValidateClassName
  'storage.k8s.io/StorageClass': isDNS1123Subdomain,
  // pkg/apis/scheduling/validation/validation.go ValidatePriorityClass: NameIsDNSSubdomain
  'scheduling.k8s.io/PriorityClass': isDNS1123Subdomain,
  // pkg/apis/coordination/validation/validation.go ValidateLease: NameIsDNSSubdomain
  'coordination.k8s.io/Lease': isDNS1123Subdomain,
  // pkg/apis/admissionregistration/validation/validation.go validateValidatingWebhookConfiguration... : NameIsDNSSubdomain
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': isDNS1123Subdomain,
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': isDNS1123Subdomain,
}

/** API groups served by the API server itself: their kinds are not custom resources. */
const builtinGroups = new Set([
  '',
  'apps',
  'batch',
  'autoscaling',
  'policy',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'node.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'certificates.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'events.k8s.io',
  'resource.k8s.io',
  'storagemigration.k8s.io',
  'internal.apiserver.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
])

function nameValidatorFor(object: KubeObject): NameValidator {
  const apiGroup = groupOf(object.apiVersion)
  if (apiGroup === 'apiextensions.k8s.io' && object.kind === 'CustomResourceDefinition') {
    // apiextensions-apiserver@v0.35.4 pkg/apis/apiextensions/validation/validation.go
    // ValidateCustomResourceDefinition: a DNS subdomain, and spec.names.plural + "." + spec.group.
    const spec = asObj(object.spec)
    const required = `${String(asObj(spec.names).plural ?? '')}.${String(spec.group ?? '')}`
    return (name) => [...isDNS1123Subdomain(name), ...(name === required ? [] : ['must be spec.names.plural+"."+spec.group'])]
  }
  const known = nameValidators[`${apiGroup}/${object.kind}`]
  if (known) return known
  // Custom resources: apiextensions-apiserver@v0.35.4 pkg/registry/customresource/validator.go
  // customResourceValidator.Validate: ValidateObjectMetaAccessor(..., NameIsDNSSubdomain).
  // Other built-in kinds: at least what apiserver@v0.35.4 pkg/registry/rest/create.go BeforeCreate
  // runs on every object, ValidateObjectMetaAccessor(..., path.ValidatePathSegmentName).
  return builtinGroups.has(apiGroup) ? isValidPathSegmentName : isDNS1123Subdomain
}

// ---------------------------------------------------------------------------------------------
// Helpers.

function hasEntries(value: unknown): boolean {
  return Object.keys(asObj(value)).length > 0
}

// ---------------------------------------------------------------------------------------------
// ObjectMeta. apimachinery@v0.35.4 pkg/api/validation/objectmeta.go.

/** objectmeta.go TotalAnnotationSizeLimitB */
const totalAnnotationSizeLimit = 256 * 1024

/** Labels and annotations of any ObjectMeta (an object's or a pod template's), at `at`. */
export function metaLabelProblems(meta: Obj, at: readonly PathSegment[]): ValidationProblem[] {
  const problems: ValidationProblem[] = []
  // apimachinery pkg/apis/meta/v1/validation/validation.go ValidateLabels: ValidateLabelName (IsQualifiedName) and IsValidLabelValue.
  for (const [key, value] of stringMap(meta.labels)) {
    for (const msg of isQualifiedName(key)) problems.push({path: [...at, 'labels', key], message: `label key "${key}" ${msg}`})
    for (const msg of isLabelValue(value)) problems.push({path: [...at, 'labels', key], message: `label ${key}: value "${value}" ${msg}`})
  }
  // objectmeta.go ValidateAnnotations: IsQualifiedName of the lower-cased key; ValidateAnnotationsSize (keys and values together).
  let size = 0
  for (const [key, value] of stringMap(meta.annotations)) {
    for (const msg of isQualifiedName(key.toLowerCase())) problems.push({path: [...at, 'annotations', key], message: `annotation key "${key}" ${msg}`})
    size += Buffer.byteLength(key) + Buffer.byteLength(value)
  }
  if (size > totalAnnotationSizeLimit)
    problems.push({path: [...at, 'annotations'], message: `annotations total ${size} bytes, more than the API server's limit of ${totalAnnotationSizeLimit}`})
  return problems
}

/**
 * objectmeta.go ValidateObjectMetaAccessor, as each kind's Validate<Kind> calls it: the name
 * (per kind), the namespace (ValidateNamespaceName, a DNS label) where written, labels and annotations.
 */
export function objectMetaProblems(object: KubeObject, namespaced: boolean): ValidationProblem[] {
  const problems: ValidationProblem[] = []
  const meta = object.metadata
  for (const msg of nameValidatorFor(object)(meta.name))
    problems.push({path: ['metadata', 'name'], message: `metadata.name "${meta.name}" ${msg} (for a ${object.kind})`})
  if (namespaced && typeof meta.namespace === 'string' && meta.namespace !== '') {
    for (const msg of isDNS1123Label(meta.namespace)) problems.push({path: ['metadata', 'namespace'], message: `metadata.namespace "${meta.namespace}" ${msg}`})
  }
  problems.push(...metaLabelProblems(asObj(meta), ['metadata']))
  return problems
}

// ---------------------------------------------------------------------------------------------
// ConfigMap and Secret keys. k8s.io/kubernetes@v1.35.4 pkg/apis/core/validation/validation.go.

/** ValidateConfigMap: data and binaryData keys (IsConfigMapKey), and no key in both. Values are never read. */
export function configMapProblems(object: Obj): ValidationProblem[] {
  const problems: ValidationProblem[] = []
  const binary = asObj(object.binaryData)
  for (const key of Object.keys(asObj(object.data))) {
    for (const msg of isConfigMapKey(key)) problems.push({path: ['data', key], message: `data key "${key}" ${msg}`})
    if (Object.hasOwn(binary, key))
      problems.push({path: ['data', key], message: `data key "${key}" is also a binaryData key; a key may be in only one of them`})
  }
  for (const key of Object.keys(binary)) {
    for (const msg of isConfigMapKey(key)) problems.push({path: ['binaryData', key], message: `binaryData key "${key}" ${msg}`})
  }
  return problems
}

/**
 * ValidateSecret: data keys (IsConfigMapKey) and the keys its type requires. stringData is merged into data before validation
 * (pkg/apis/core/v1/conversion.go Convert_v1_Secret_To_core_Secret), so its keys are data keys too.
 */
export function secretProblems(object: Obj): ValidationProblem[] {
  const problems: ValidationProblem[] = []
  for (const field of ['data', 'stringData'] as const) {
    for (const key of Object.keys(asObj(object[field]))) {
      for (const msg of isConfigMapKey(key)) problems.push({path: [field, key], message: `${field} key "${key}" ${msg}`})
    }
  }
  problems.push(...secretTypeProblems(object))
  return problems
}

/**
 * ValidateSecret's `switch secret.Type`: the keys each built-in type requires (in data or
 * stringData, which is merged into data). Key names only: no value is read, beyond whether
 * ssh-privatekey is empty.
 */
function secretTypeProblems(object: Obj): ValidationProblem[] {
  const data = {...asObj(object.data), ...asObj(object.stringData)}
  const has = (key: string) => Object.hasOwn(data, key)
  const required = (key: string): ValidationProblem => ({
    path: ['type'],
    message: `a Secret of type ${String(object.type)} needs the key "${key}" in data (or stringData)`,
  })
  switch (object.type) {
    case 'kubernetes.io/service-account-token': {
      const annotations = asObj(asObj(object.metadata).annotations)
      const name = annotations['kubernetes.io/service-account.name']
      return typeof name === 'string' && name !== ''
        ? []
        : [{path: ['type'], message: `a Secret of type ${object.type} needs the annotation kubernetes.io/service-account.name`}]
    }
    case 'kubernetes.io/dockercfg':
      return has('.dockercfg') ? [] : [required('.dockercfg')]
    case 'kubernetes.io/dockerconfigjson':
      return has('.dockerconfigjson') ? [] : [required('.dockerconfigjson')]
    case 'kubernetes.io/basic-auth':
      // username or password may be empty, but one of them must be there.
      return has('username') || has('password') ? [] : [required('username'), required('password')]
    case 'kubernetes.io/ssh-auth': {
      const key = data['ssh-privatekey']
      return key === undefined || key === null || key === '' ? [required('ssh-privatekey')] : []
    }
    case 'kubernetes.io/tls':
      return ['tls.crt', 'tls.key'].filter((key) => !has(key)).map(required)
    default:
      return []
  }
}

// ---------------------------------------------------------------------------------------------
// Label selectors. apimachinery@v0.35.4 pkg/apis/meta/v1/validation/validation.go
// ValidateLabelSelector / ValidateLabelSelectorRequirement (AllowInvalidLabelValueInSelector: false,
// as apps and batch call it), which also covers what metav1.LabelSelectorAsSelector
// (pkg/apis/meta/v1/helpers.go, via labels.NewRequirement) refuses.

export function labelSelectorProblems(selector: Obj, at: readonly PathSegment[]): ValidationProblem[] {
  const problems: ValidationProblem[] = []
  for (const [key, value] of stringMap(selector.matchLabels)) {
    for (const msg of isQualifiedName(key)) problems.push({path: [...at, 'matchLabels', key], message: `${fieldPath(at)}.matchLabels key "${key}" ${msg}`})
    for (const msg of isLabelValue(value))
      problems.push({path: [...at, 'matchLabels', key], message: `${fieldPath(at)}.matchLabels ${key}: value "${value}" ${msg}`})
  }
  asList(selector.matchExpressions).forEach((expression, i) => {
    const here = [...at, 'matchExpressions', i]
    const {key, operator} = asObj(expression)
    const values = asList(asObj(expression).values).map(String)
    switch (operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) problems.push({path: [...here, 'values'], message: `${fieldPath(here)}.values must be given when operator is In or NotIn`})
        break
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0)
          problems.push({path: [...here, 'values'], message: `${fieldPath(here)}.values must be empty when operator is Exists or DoesNotExist`})
        break
      default:
        problems.push({path: [...here, 'operator'], message: `${fieldPath(here)}.operator "${String(operator)}" is not one of In, NotIn, Exists, DoesNotExist`})
    }
    const keyText = typeof key === 'string' ? key : ''
    for (const msg of isQualifiedName(keyText)) problems.push({path: [...here, 'key'], message: `${fieldPath(here)}.key "${keyText}" ${msg}`})
    values.forEach((value, j) => {
      for (const msg of isLabelValue(value)) problems.push({path: [...here, 'values', j], message: `${fieldPath(here)}.values[${j}] "${value}" ${msg}`})
    })
  })
  return problems
}

// ---------------------------------------------------------------------------------------------
// Workloads. k8s.io/kubernetes@v1.35.4 pkg/apis/apps/validation/validation.go and pkg/apis/batch/validation/validation.go.

/**
 * ValidateDeploymentSpec, ValidateReplicaSetSpec, ValidateDaemonSetSpec, ValidateStatefulSetSpec:
 * the selector is required, non-empty and valid, and it selects the pod template's labels
 * (ValidatePodTemplateSpecForReplicaSet / ValidatePodTemplateSpecForStatefulSet: "`selector`
 * does not match template `labels`"; LabelSelectorAsSelector semantics, matchExpressions included).
 */
export function appsSelectorProblems(kind: string, spec: Obj): ValidationProblem[] {
  // An absent selector: the apps/v1 schema requires it already (rule schema says so).
  if (!Object.hasOwn(spec, 'selector') || spec.selector === null) return []
  const selector = asObj(spec.selector)
  const problems = labelSelectorProblems(selector, ['spec', 'selector'])
  if (!hasEntries(selector.matchLabels) && asList(selector.matchExpressions).length === 0)
    problems.push({path: ['spec', 'selector'], message: `spec.selector is empty, which the API server refuses for a ${kind}: select the pod template's labels`})
  else if (problems.length === 0) problems.push(...templateMatchProblems(selector, asObj(spec.template)))
  return problems
}

function describeLabels(labels: Record<string, string>): string {
  const entries = Object.entries(labels)
  return entries.length === 0 ? 'none' : entries.map(([key, value]) => `${key}=${value}`).join(', ')
}

function templateMatchProblems(selector: Obj, template: Obj): ValidationProblem[] {
  const labels = labelsOf(template)
  if (selectorMatches(selector, labels)) return []
  return [
    {
      path: ['spec', 'template', 'metadata', 'labels'],
      message: `spec.selector (${describeSelector(selector)}) does not select the pod template's labels (${describeLabels(labels)}): give the template the labels the selector asks for`,
    },
  ]
}

/**
 * ValidateJob: with spec.manualSelector true, ValidateJobSpec requires the selector and that it
 * matches the template's labels. Without it the API server generates the selector
 * (pkg/registry/batch/job/strategy.go generateSelector), and validateGeneratedSelector refuses a
 * selector given by hand that does not select the generated labels ("`selector` not auto-generated").
 */
export function jobSelectorProblems(name: string, spec: Obj, uid?: string): ValidationProblem[] {
  const manual = spec.manualSelector === true
  const given = Object.hasOwn(spec, 'selector') && spec.selector !== null
  if (manual && !given) return [{path: ['spec'], message: 'spec.selector is required when spec.manualSelector is true'}]
  if (!given) return []
  const selector = asObj(spec.selector)
  const problems = labelSelectorProblems(selector, ['spec', 'selector'])
  if (problems.length > 0) return problems
  if (manual) return templateMatchProblems(selector, asObj(spec.template))
  // The labels validateGeneratedSelector expects: job-name (both keys) = the Job's name and
  // controller-uid (both keys) = its uid, assigned at creation: a value no manifest can hold
  // unless it was read from the API (metadata.uid).
  const controllerUid = uid ?? '(assigned at creation)'
  const expected = {
    'job-name': name,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': controllerUid,
    'batch.kubernetes.io/controller-uid': controllerUid,
  }
  if (selectorMatches(selector, expected)) return []
  return [
    {
      path: ['spec', 'selector'],
      message:
        'spec.selector is set without spec.manualSelector: true, so the API server generates it and refuses this one; remove spec.selector (or set manualSelector: true)',
    },
  ]
}

// ---------------------------------------------------------------------------------------------
// CronJobs. k8s.io/kubernetes@v1.35.4 pkg/apis/batch/validation/validation.go validateCronJobSpec,
// whose schedule check is github.com/robfig/cron/v3@v3.0.1 ParseStandard (parser.go), ported here.

interface CronBounds {
  min: number
  max: number
  names?: Record<string, number>
}

const cronFields: Array<[string, CronBounds]> = [
  ['minute', {min: 0, max: 59}],
  ['hour', {min: 0, max: 23}],
  ['day of month', {min: 1, max: 31}],
  ['month', {min: 1, max: 12, names: {jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12}}],
  ['day of week', {min: 0, max: 6, names: {sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6}}],
]

/** Go's strings.Fields: split on Unicode white space, no empty fields. */
function goFields(text: string): string[] {
  return text.split(/[\s\u0085]+/u).filter(Boolean)
}

/** Go's strconv.Atoi as robfig/cron's mustParseInt uses it: an optional sign, decimal digits, int64; not negative. */
function cronInt(expr: string): number | string {
  if (!/^[+-]?\d+$/.test(expr)) return `failed to parse int from ${expr}`
  const value = BigInt(expr)
  if (value > 9223372036854775807n || value < -9223372036854775808n) return `failed to parse int from ${expr}: value out of range`
  if (value < 0n) return `negative number (${value}) not allowed: ${expr}`
  return Number(value)
}

/** robfig/cron getRange: `*` or `?`, a number or name, a-b, and /step. The error, or undefined. */
function cronRangeProblem(expr: string, bounds: CronBounds): string | undefined {
  const rangeAndStep = expr.split('/')
  const lowAndHigh = rangeAndStep[0].split('-')
  let start: number
  let end: number
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = bounds.min
    end = bounds.max
  } else {
    const named = (text: string): number | string => bounds.names?.[text.toLowerCase()] ?? cronInt(text)
    const low = named(lowAndHigh[0])
    if (typeof low === 'string') return low
    start = end = low
    if (lowAndHigh.length === 2) {
      const high = named(lowAndHigh[1])
      if (typeof high === 'string') return high
      end = high
    } else if (lowAndHigh.length > 2) return `too many hyphens: ${expr}`
  }
  let step = 1
  if (rangeAndStep.length === 2) {
    const parsed = cronInt(rangeAndStep[1])
    if (typeof parsed === 'string') return parsed
    step = parsed
    if (lowAndHigh.length === 1) end = bounds.max
  } else if (rangeAndStep.length > 2) return `too many slashes: ${expr}`
  if (start < bounds.min) return `beginning of range (${start}) below minimum (${bounds.min}): ${expr}`
  if (end > bounds.max) return `end of range (${end}) above maximum (${bounds.max}): ${expr}`
  if (start > end) return `beginning of range (${start}) beyond end of range (${end}): ${expr}`
  if (step === 0) return `step of range should be a positive number: ${expr}`
  return undefined
}

/** Go's time.ParseDuration, as `@every` reads it: "0", or signed numbers (with fractions) each with a unit. */
const goDuration = /^[+-]?(?:0|(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/u

/** robfig/cron ParseStandard's error for a schedule, or undefined when it parses. */
export function cronScheduleProblem(schedule: string): string | undefined {
  if (schedule.length === 0) return 'empty spec string'
  let spec = schedule
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    // The zone is checked by the caller's TZ rule; what follows the first space is the schedule.
    const space = spec.indexOf(' ')
    if (space < 0) return 'invalid schedule format: no schedule after the time zone'
    spec = spec.slice(space).trim()
  }
  if (spec.startsWith('@')) {
    if (['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'].includes(spec)) return undefined
    if (spec.startsWith('@every ')) return goDuration.test(spec.slice('@every '.length)) ? undefined : `failed to parse duration ${spec}`
    return `unrecognized descriptor: ${spec}`
  }
  const fields = goFields(spec)
  if (fields.length !== cronFields.length) return `expected exactly ${cronFields.length} fields, found ${fields.length}: [${fields.join(' ')}]`
  for (const [i, field] of fields.entries()) {
    // strings.FieldsFunc on ',': empty items are dropped.
    for (const expr of field.split(',').filter(Boolean)) {
      const problem = cronRangeProblem(expr, cronFields[i][1])
      if (problem) return problem
    }
  }
  return undefined
}

/**
 * validateCronJobSpec on create: the schedule parses (robfig/cron, five fields or a descriptor) and
 * names no time zone (the timeZone field does that); the counts are not negative; and
 * ValidateJobTemplateSpec: no selector and no manualSelector in the job template (generated).
 */
export function cronJobProblems(spec: Obj): ValidationProblem[] {
  const problems: ValidationProblem[] = []
  if (typeof spec.schedule === 'string' && spec.schedule !== '') {
    const at = ['spec', 'schedule']
    const problem = cronScheduleProblem(spec.schedule)
    if (problem) problems.push({path: at, message: `spec.schedule "${spec.schedule}" is not a cron schedule the API server reads: ${problem}`})
    if (spec.schedule.includes('TZ'))
      problems.push({path: at, message: `spec.schedule "${spec.schedule}" cannot use TZ or CRON_TZ; use the spec.timeZone field instead`})
  }
  for (const field of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit']) {
    const value = spec[field]
    if (typeof value === 'number' && value < 0) problems.push({path: ['spec', field], message: `spec.${field} ${value} must be greater than or equal to 0`})
  }
  const jobSpec = asObj(asObj(spec.jobTemplate).spec)
  if (Object.hasOwn(jobSpec, 'selector') && jobSpec.selector !== null)
    problems.push({
      path: ['spec', 'jobTemplate', 'spec', 'selector'],
      message: 'spec.jobTemplate.spec.selector is generated for each Job the CronJob makes; remove it',
    })
  if (jobSpec.manualSelector === true)
    problems.push({
      path: ['spec', 'jobTemplate', 'spec', 'manualSelector'],
      message: 'spec.jobTemplate.spec.manualSelector must be false or absent in a CronJob',
    })
  return problems
}

// ---------------------------------------------------------------------------------------------
// Pod templates. k8s.io/kubernetes@v1.35.4 pkg/apis/core/validation/validation.go.

/**
 * ValidatePodTemplateSpec (ValidateLabels, ValidateAnnotations of the template's metadata) and, of
 * ValidatePodSpec, what a repository gets wrong: validateContainers / validateInitContainers
 * (validateContainerCommon: name required and a DNS-1123 label, image required; names unique across
 * containers and initContainers), validateContainerPorts (port names IsValidPortName, unique in a container),
 * ValidateVolumes and ValidateVolumeMounts (below).
 */
export function podTemplateProblems(template: Obj, at: readonly PathSegment[], withMeta = true): ValidationProblem[] {
  const problems: ValidationProblem[] = withMeta ? metaLabelProblems(asObj(template.metadata), [...at, 'metadata']) : []
  const spec = asObj(template.spec)
  const volumes = volumeProblems(spec, [...at, 'spec'], problems)
  const names = new Set<string>()
  for (const list of ['containers', 'initContainers'] as const) {
    asList(spec[list]).forEach((entry, i) => {
      const container = asObj(entry)
      const here = [...at, 'spec', list, i]
      const name = typeof container.name === 'string' ? container.name : ''
      // A missing name: the schema requires it already (rule schema says so).
      if (name !== '') {
        for (const msg of isDNS1123Label(name)) problems.push({path: [...here, 'name'], message: `${fieldPath(here)}.name "${name}" ${msg}`})
        if (names.has(name))
          problems.push({
            path: [...here, 'name'],
            message: `${fieldPath(here)}.name "${name}" is already the name of another container (containers and initContainers)`,
          })
        names.add(name)
      }
      if (typeof container.image !== 'string' || container.image === '') problems.push({path: here, message: `${fieldPath(here)}.image is required`})
      problems.push(...envProblems(container, here), ...probeProblems(container, here), ...lifecycleProblems(container, here))
      const ports = new Set<string>()
      asList(container.ports).forEach((portEntry, j) => {
        const port = asObj(portEntry)
        if (typeof port.name !== 'string' || port.name === '') return
        const portPath = [...here, 'ports', j, 'name']
        const msgs = isValidPortName(port.name)
        for (const msg of msgs) problems.push({path: portPath, message: `${fieldPath(portPath)} "${port.name}" ${msg} (an IANA service name)`})
        if (msgs.length === 0 && ports.has(port.name))
          problems.push({path: portPath, message: `${fieldPath(portPath)} "${port.name}" is already the name of another port of this container`})
        ports.add(port.name)
      })
      // ValidateVolumeMounts: the name is a volume of the pod (IsMatchedVolume, among the volumes
      // that validated), each mountPath once per container.
      const mountPaths = new Set<string>()
      asList(container.volumeMounts).forEach((mountEntry, j) => {
        const mount = asObj(mountEntry)
        const mountPath = [...here, 'volumeMounts', j]
        if (typeof mount.name === 'string' && mount.name !== '' && !volumes.has(mount.name))
          problems.push({
            path: [...mountPath, 'name'],
            message: `${fieldPath(mountPath)}.name "${mount.name}" is not a volume of this pod (${fieldPath([...at, 'spec', 'volumes'])})`,
          })
        if (typeof mount.mountPath !== 'string') return
        if (mountPaths.has(mount.mountPath))
          problems.push({
            path: [...mountPath, 'mountPath'],
            message: `${fieldPath(mountPath)}.mountPath "${mount.mountPath}" is already the mountPath of another volumeMount of this container`,
          })
        mountPaths.add(mount.mountPath)
      })
    })
  }
  return problems
}

/**
 * ValidateEnv with RelaxedEnvironmentVariableValidation (on in 1.35): IsRelaxedEnvVarName,
 * k8s.io/apimachinery@v0.35.4 pkg/util/validation/validation.go. The names of env and
 * envFrom's prefix: printable ASCII other than "=" (a space is fine, as the server says).
 */
export function isRelaxedEnvVarName(value: string): string[] {
  for (const char of value) {
    const code = char.codePointAt(0)!
    if (code < 0x20 || code > 0x7e || char === '=') return ["must consist only of printable ASCII characters other than '='"]
  }
  return []
}

function envProblems(container: Obj, at: readonly PathSegment[]): ValidationProblem[] {
  const problems: ValidationProblem[] = []
  asList(container.env).forEach((entry, i) => {
    const name = asObj(entry).name
    const here = [...at, 'env', i, 'name']
    // A missing name: the schema requires it already.
    if (typeof name === 'string' && name !== '')
      for (const msg of isRelaxedEnvVarName(name)) problems.push({path: here, message: `${fieldPath(here)} "${name}" ${msg}`})
  })
  asList(container.envFrom).forEach((entry, i) => {
    const prefix = asObj(entry).prefix
    const here = [...at, 'envFrom', i, 'prefix']
    if (typeof prefix === 'string' && prefix !== '')
      for (const msg of isRelaxedEnvVarName(prefix)) problems.push({path: here, message: `${fieldPath(here)} "${prefix}" ${msg}`})
  })
  return problems
}

const probeHandlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'] as const
const hookHandlers = ['exec', 'httpGet', 'tcpSocket', 'sleep'] as const

/** validateHandler: exactly one of the handlers a probe or a lifecycle hook takes. */
function handlerProblems(value: Obj, here: readonly PathSegment[], handlers: readonly string[]): ValidationProblem[] {
  const given = handlers.filter((handler) => value[handler] !== undefined && value[handler] !== null)
  const problems: ValidationProblem[] = []
  if (given.length === 0) problems.push({path: [...here], message: `${fieldPath(here)} has no handler: give it one of ${handlers.join(', ')}`})
  for (const extra of given.slice(1))
    problems.push({path: [...here, extra], message: `${fieldPath(here)} has more than one handler (${given.join(', ')}): it takes exactly one`})
  return problems
}
const probeCounts = ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const

/**
 * validateLivenessProbe, validateReadinessProbe, validateStartupProbe and validateProbe /
 * validateHandler (k8s.io/kubernetes@v1.35.4 pkg/apis/core/validation/validation.go): exactly one
 * handler (exec, httpGet, tcpSocket, grpc), counts not negative, successThreshold 1 for liveness
 * and startup probes (the default; only a probe that says otherwise is wrong).
 */
function probeProblems(container: Obj, at: readonly PathSegment[]): ValidationProblem[] {
  const problems: ValidationProblem[] = []
  for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    const value = container[kind]
    if (!isObj(value)) continue
    const here = [...at, kind]
    problems.push(...handlerProblems(value, here, probeHandlers))
    for (const count of probeCounts)
      if (typeof value[count] === 'number' && value[count] < 0)
        problems.push({path: [...here, count], message: `${fieldPath([...here, count])} must be greater than or equal to 0`})
    if (kind !== 'readinessProbe' && typeof value.successThreshold === 'number' && value.successThreshold !== 1)
      problems.push({path: [...here, 'successThreshold'], message: `${fieldPath([...here, 'successThreshold'])} must be 1 for a ${kind}`})
  }
  return problems
}

/** validateLifecycle / validateHandler: a postStart or preStop hook has exactly one handler (exec, httpGet, tcpSocket, sleep). */
function lifecycleProblems(container: Obj, at: readonly PathSegment[]): ValidationProblem[] {
  const problems: ValidationProblem[] = []
  const lifecycle = asObj(container.lifecycle)
  for (const hook of ['postStart', 'preStop'] as const) {
    const value = lifecycle[hook]
    if (isObj(value)) problems.push(...handlerProblems(value, [...at, 'lifecycle', hook], hookHandlers))
  }
  return problems
}

/**
 * ValidateVolumes: each volume's name a DNS-1123 label, unique. Returns the names of the volumes
 * that validated (those a volumeMount may name); the volume sources themselves are not checked.
 */
function volumeProblems(spec: Obj, at: readonly PathSegment[], problems: ValidationProblem[]): Set<string> {
  const valid = new Set<string>()
  const seen = new Set<string>()
  asList(spec.volumes).forEach((entry, i) => {
    const here = [...at, 'volumes', i]
    const name = asObj(entry).name
    if (typeof name !== 'string' || name === '') return // the schema requires it (rule schema)
    const errors = isDNS1123Label(name).map((msg) => `${fieldPath(here)}.name "${name}" ${msg}`)
    if (seen.has(name)) errors.push(`${fieldPath(here)}.name "${name}" is already the name of another volume`)
    seen.add(name)
    for (const message of errors) problems.push({path: [...here, 'name'], message})
    if (errors.length === 0) valid.add(name)
    // validateVolumeSource: at most one volume type (none is an emptyDir: v1's defaulting).
    const sources = volumeSources.filter((source) => {
      const value = asObj(entry)[source]
      return value !== undefined && value !== null
    })
    for (const extra of sources.slice(1))
      problems.push({path: [...here, extra], message: `${fieldPath(here)} has more than one volume type (${sources.join(', ')}): a volume takes exactly one`})
  })
  return valid
}

/** The volume types of a v1 VolumeSource (k8s.io/api@v0.35.4 core/v1/types.go), as validateVolumeSource counts them. */
const volumeSources = [
  'emptyDir',
  'hostPath',
  'gitRepo',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'flocker',
  'persistentVolumeClaim',
  'rbd',
  'cinder',
  'cephfs',
  'quobyte',
  'downwardAPI',
  'fc',
  'flexVolume',
  'configMap',
  'azureFile',
  'vsphereVolume',
  'photonPersistentDisk',
  'portworxVolume',
  'azureDisk',
  'storageos',
  'projected',
  'scaleIO',
  'csi',
  'ephemeral',
  'image',
] as const

/** Where each kind keeps its pod template (the Pod itself: its spec). */
const podTemplatePaths: Record<string, readonly PathSegment[]> = {
  'apps/Deployment': ['spec', 'template'],
  'apps/ReplicaSet': ['spec', 'template'],
  'apps/DaemonSet': ['spec', 'template'],
  'apps/StatefulSet': ['spec', 'template'],
  'batch/Job': ['spec', 'template'],
  'batch/CronJob': ['spec', 'jobTemplate', 'spec', 'template'],
  '/PodTemplate': ['template'],
  '/ReplicationController': ['spec', 'template'],
}

function valueAt(object: unknown, path: readonly PathSegment[]): unknown {
  let value = object
  for (const segment of path) value = isObj(value) || Array.isArray(value) ? (value as Record<string | number, unknown>)[segment] : undefined
  return value
}

// ---------------------------------------------------------------------------------------------
// Services. pkg/apis/core/validation/validation.go validateService / validateServicePort.

/** Port names: a DNS-1123 label, required when there is more than one port, unique; a named targetPort is an IANA service name. */
export function serviceProblems(object: Obj): ValidationProblem[] {
  const problems: ValidationProblem[] = []
  const ports = asList(asObj(object.spec).ports)
  const names = new Set<string>()
  ports.forEach((entry, i) => {
    const port = asObj(entry)
    const here = ['spec', 'ports', i]
    const name = typeof port.name === 'string' ? port.name : ''
    if (name === '') {
      if (ports.length > 1) problems.push({path: here, message: `${fieldPath(here)}.name is required when a Service has more than one port`})
    } else {
      for (const msg of isDNS1123Label(name)) problems.push({path: [...here, 'name'], message: `${fieldPath(here)}.name "${name}" ${msg}`})
      if (names.has(name)) problems.push({path: [...here, 'name'], message: `${fieldPath(here)}.name "${name}" is already the name of another port`})
      names.add(name)
    }
    if (typeof port.targetPort === 'string') {
      for (const msg of isValidPortName(port.targetPort))
        problems.push({
          path: [...here, 'targetPort'],
          message: `${fieldPath(here)}.targetPort "${port.targetPort}" ${msg} (a port name is an IANA service name)`,
        })
    }
  })
  return problems
}

// ---------------------------------------------------------------------------------------------
// Ingresses. k8s.io/kubernetes@v1.35.4 pkg/apis/networking/validation/validation.go.

// validation.go (apimachinery): wildcardDNS1123SubdomainFmt
const wildcardDNS1123SubdomainRegexp = new RegExp(`^\\*\\.${dns1123Label}(\\.${dns1123Label})*$`)

/** validation.go (apimachinery) IsWildcardDNS1123Subdomain. */
export function isWildcardDNS1123Subdomain(value: string): string[] {
  const errs = tooLong(value, 253)
  if (!wildcardDNS1123SubdomainRegexp.test(value)) errs.push('must be "*." followed by a lowercase RFC 1123 subdomain (e.g. *.example.org)')
  return errs
}

/** netutils.ParseIPSloppy: an IPv4 address (leading zeros allowed) or an IPv6 one. */
function isIP(value: string): boolean {
  if (isIPv6(value)) return true
  const parts = value.split('.')
  return parts.length === 4 && parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)
}

/** validateIngressRules / validateIngressTLS: a host is a DNS name (a wildcard one with "*"), not an IP address. */
function hostProblems(host: string, at: readonly PathSegment[]): ValidationProblem[] {
  const where = fieldPath(at)
  const problems: ValidationProblem[] = []
  if (isIP(host)) problems.push({path: [...at], message: `${where} "${host}" must be a DNS name, not an IP address`})
  const msgs = host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host)
  for (const msg of msgs) problems.push({path: [...at], message: `${where} "${host}" ${msg}`})
  return problems
}

// validation.go invalidPathSequences, invalidPathSuffixes
const invalidPathSequences = ['//', '/./', '/../', '%2f', '%2F']
const invalidPathSuffixes = ['/..', '/.']

/**
 * validateIngressSpec: rules[].host and tls[].hosts (validateIngressRules, validateIngressTLS);
 * validateHTTPIngressPath: Exact and Prefix paths absolute, without // /./ /../ %2f, not ending
 * in /.. or /.; ImplementationSpecific ones absolute when given; validateIngressBackend: the
 * Service name a DNS-1035 label (ValidateServiceName), a port by name or by number, not both, and
 * a port name an IANA service name.
 */
export function ingressProblems(object: Obj): ValidationProblem[] {
  const spec = asObj(object.spec)
  const problems: ValidationProblem[] = []
  const backend = (value: unknown, at: readonly PathSegment[]) => {
    const service = asObj(asObj(value).service)
    if (!isObj(asObj(value).service)) return
    if (typeof service.name === 'string' && service.name !== '') {
      for (const msg of isDNS1035Label(service.name))
        problems.push({path: [...at, 'service', 'name'], message: `${fieldPath([...at, 'service', 'name'])} "${service.name}" ${msg}`})
    }
    const port = asObj(service.port)
    const portName = typeof port.name === 'string' ? port.name : ''
    const portNumber = typeof port.number === 'number' ? port.number : 0
    const portPath = [...at, 'service', 'port']
    if (portName !== '' && portNumber !== 0) problems.push({path: portPath, message: `${fieldPath(portPath)} sets both name and number; give one of them`})
    else if (portName !== '')
      for (const msg of isValidPortName(portName))
        problems.push({path: [...portPath, 'name'], message: `${fieldPath([...portPath, 'name'])} "${portName}" ${msg} (a port name is an IANA service name)`})
  }
  if (isObj(spec.defaultBackend)) backend(spec.defaultBackend, ['spec', 'defaultBackend'])
  asList(spec.tls).forEach((tls, i) => {
    asList(asObj(tls).hosts).forEach((host, j) => {
      if (typeof host === 'string') problems.push(...hostProblems(host, ['spec', 'tls', i, 'hosts', j]))
    })
  })
  asList(spec.rules).forEach((entry, i) => {
    const rule = asObj(entry)
    if (typeof rule.host === 'string' && rule.host !== '') problems.push(...hostProblems(rule.host, ['spec', 'rules', i, 'host']))
    asList(asObj(rule.http).paths).forEach((pathEntry, j) => {
      const here = ['spec', 'rules', i, 'http', 'paths', j]
      const item = asObj(pathEntry)
      const value = typeof item.path === 'string' ? item.path : ''
      const where = `${fieldPath([...here, 'path'])} "${value}"`
      if (item.pathType === 'Exact' || item.pathType === 'Prefix') {
        if (!value.startsWith('/')) problems.push({path: [...here, 'path'], message: `${where} must be an absolute path (start with /)`})
        for (const bad of invalidPathSequences) if (value.includes(bad)) problems.push({path: [...here, 'path'], message: `${where} must not contain '${bad}'`})
        for (const bad of invalidPathSuffixes) if (value.endsWith(bad)) problems.push({path: [...here, 'path'], message: `${where} cannot end with '${bad}'`})
      } else if (item.pathType === 'ImplementationSpecific' && value !== '' && !value.startsWith('/')) {
        problems.push({path: [...here, 'path'], message: `${where} must be an absolute path (start with /)`})
      }
      backend(item.backend, [...here, 'backend'])
    })
  })
  return problems
}

// ---------------------------------------------------------------------------------------------

/** Everything this rule checks on one object. */
export function objectValidationProblems(object: KubeObject, namespaced: boolean): ValidationProblem[] {
  const problems = objectMetaProblems(object, namespaced)
  const apiGroup = groupOf(object.apiVersion)
  const kindKey = `${apiGroup}/${object.kind}`
  const spec = asObj(object.spec)
  switch (kindKey) {
    case '/ConfigMap':
      problems.push(...configMapProblems(object))
      break
    case '/Secret':
      problems.push(...secretProblems(object))
      break
    case '/Service':
      problems.push(...serviceProblems(object))
      break
    case 'networking.k8s.io/Ingress':
      problems.push(...ingressProblems(object))
      break
    case '/Pod':
      problems.push(...podTemplateProblems(object, [], false))
      break
    case 'apps/Deployment':
    case 'apps/ReplicaSet':
    case 'apps/DaemonSet':
    case 'apps/StatefulSet':
      // apps/v1 only: the beta versions defaulted an absent selector from the template's labels.
      if (object.apiVersion === 'apps/v1') problems.push(...appsSelectorProblems(object.kind, spec))
      break
    case 'batch/Job':
      problems.push(...jobSelectorProblems(object.metadata.name, spec, typeof object.metadata.uid === 'string' ? object.metadata.uid : undefined))
      break
    case 'batch/CronJob':
      problems.push(...cronJobProblems(spec))
      break
  }
  const templatePath = podTemplatePaths[kindKey]
  const template = templatePath ? valueAt(object, templatePath) : undefined
  if (templatePath && isObj(template)) problems.push(...podTemplateProblems(template, templatePath))
  return problems
}

export const objectValidation: Rule = {
  id: 'object-validation',
  severity: 'error',
  group,
  summary:
    "What the API server's validation code refuses beyond the schema (ported from Kubernetes' own): object names per kind, label and annotation keys, label values, ConfigMap and Secret keys (and the keys a Secret's type requires), workload selectors that do not match their pod template's labels, container, port and volume names, environment variable names, probes and lifecycle hooks (exactly one handler; successThreshold 1 for liveness and startup), volumes with more than one volume type, volumeMounts of missing volumes, Ingress hosts, paths and backends, CronJob schedules (the API server's cron parser; no TZ), CronJob counts and job templates, a CRD's name (<plural>.<group>).",
  hint: 'fix the field as the message says; the API server (and so Flux) refuses the object otherwise (`kubectl apply --dry-run=server -f <file>` shows its own words)',
  check(index, report) {
    for (const item of index.objects) {
      for (const problem of objectValidationProblems(item.object, index.isNamespaced(item.object)))
        report({on: item, path: problem.path, message: problem.message})
    }
  },
}
