/**
 * Kubernetes' OpenAPI v3 schemas and CRDs' openAPIV3Schema, turned into JSON Schema that ajv
 * validates strictly: an object schema with properties refuses any other field (what the API
 * server's strict field validation and kubeconform -strict report), unless the schema keeps
 * unknown fields (x-kubernetes-preserve-unknown-fields, or an additionalProperties map).
 * Descriptions and other documentation are dropped: they are most of the bytes.
 *
 * Used at build time (scripts/lint-schemas.ts, for the bundled schemas) and at run time (for
 * the CRDs found in the repository), so both are converted alike.
 */

type Json = Record<string, unknown>

const dropped = new Set([
  'description',
  'example',
  'externalDocs',
  'default',
  'format',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-patch-strategy',
  'x-kubernetes-patch-merge-key',
  'x-kubernetes-group-version-kind',
  'x-kubernetes-unions',
  'x-kubernetes-validations',
  'x-kubernetes-selectable-fields',
  'x-kubernetes-embedded-resource',
])

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function jsPattern(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u')
    return !/\(\?[a-zA-Z]/.test(pattern)
  } catch {
    return false
  }
}

/**
 * Kubernetes' `format: byte` (Secret data, ConfigMap binaryData, CRD fields): base64 as Go's
 * encoding/base64 StdEncoding decodes it (padded; line breaks ignored), which is what the API
 * server does with it. ajv's formats are not used: the validators are generated code (ajv's
 * standalone mode), where a pattern is plain code and a format would need a module of its own.
 */
export const base64Pattern =
  '^(?:[\\r\\n]*[A-Za-z0-9+/][\\r\\n]*[A-Za-z0-9+/][\\r\\n]*[A-Za-z0-9+/][\\r\\n]*[A-Za-z0-9+/])*(?:[\\r\\n]*[A-Za-z0-9+/][\\r\\n]*[A-Za-z0-9+/][\\r\\n]*(?:=[\\r\\n]*=|[A-Za-z0-9+/][\\r\\n]*=))?[\\r\\n]*$'

/**
 * Integers as the API server decodes them: into Go int64s (built-in kinds' int64 fields; custom
 * resources' numbers, where one beyond int64 becomes a float64, "must be of type integer"). JSON
 * Schema's integer is any whole number (1e30 is one). YAML numbers reach lint as JavaScript numbers,
 * in which 2^63 - 1 reads as 2^63: lint cannot tell the largest int64 from the number after it, and
 * takes both (the maximum is 2^63).
 */
export const int64Range = {minimum: -(2 ** 63), maximum: 2 ** 63} as const

/**
 * A CRD's `format: date-time` as the API server checks it (kube-openapi's strfmt IsDateTime, for
 * custom resources): ajv-formats' date-time (the calendar, hours, minutes) narrowed to its shape
 * (T or t, a zone Z, z or +hh:mm, seconds up to 59). Built-in kinds' metav1.Time is stricter (Go's
 * time.Parse with RFC 3339: upper-case T and Z): scripts/lint-schemas.ts sets its own pattern.
 */
export const crdDateTimePattern = '^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:[0-5]\\d(?:\\.\\d+)?(?:[Zz]|[+-]\\d{2}:\\d{2})$'

/** metav1.Time's shape as Go's time.Parse(time.RFC3339, ...) reads it (scripts/lint-schemas.ts: timeDefinition). */
export const timePattern = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:[0-5]\\d(?:\\.\\d+)?(?:Z|[+-]\\d{2}:\\d{2})$'
/**
 * resource.Quantity's string form as controller-gen writes it into CRDs for Quantity fields (e.g.
 * prometheus-operator v0.85.0's), which follows the grammar in Quantity's own description. A CRD's
 * pattern is checked as written.
 */
export const crdQuantityPattern = '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$'
/**
 * A built-in kind's Quantity, which the API server's parser reads after trimming spaces (" 1Gi" is
 * taken; lint-dryrun): the same grammar with the spaces. The parser also takes a few oddities
 * ("-", "."), which this refuses.
 */
export const quantityPattern = `^\\s*${crdQuantityPattern.slice(1, -1)}\\s*$`

/** The formats lint checks, ajv-formats' own (dist/formats: fullFormats), by name; other formats are dropped. */
export const checkedFormats = ['date-time'] as const

/** Converts one schema node (and everything under it). `refPrefix` replaces '#/components/schemas/'. */
export function convertSchema(node: unknown, refPrefix = '#/definitions/'): unknown {
  if (Array.isArray(node)) return node.map((item) => convertSchema(item, refPrefix))
  if (!isJson(node)) return node
  const out: Json = {}
  for (const [key, value] of Object.entries(node)) {
    if (dropped.has(key)) continue
    if (key === '$ref' && typeof value === 'string') out.$ref = value.replace('#/components/schemas/', refPrefix)
    else if (key === 'properties' && isJson(value))
      out.properties = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, convertSchema(schema, refPrefix)]))
    else if (key === 'x-kubernetes-preserve-unknown-fields' || key === 'x-kubernetes-int-or-string') continue
    else if (key === 'pattern' && typeof value === 'string') {
      // CRD patterns are Go (RE2) regular expressions; those JavaScript reads differently
      // (inline flags like (?i)) are left out rather than misjudged.
      if (jsPattern(value)) out.pattern = value
    } else out[key] = convertSchema(value, refPrefix)
  }
  if (node.format === 'byte' && node.type === 'string' && out.pattern === undefined) out.pattern = base64Pattern
  if (node.format === 'date-time' && node.type === 'string') {
    out.format = 'date-time'
    if (out.pattern === undefined) out.pattern = crdDateTimePattern
  }
  if (out.type === 'integer') {
    if (out.minimum === undefined && out.exclusiveMinimum === undefined) out.minimum = int64Range.minimum
    if (out.maximum === undefined && out.exclusiveMaximum === undefined) out.maximum = int64Range.maximum
  }
  if (node['x-kubernetes-int-or-string'] === true) {
    delete out.type
    out.anyOf = [{type: 'integer'}, {type: 'string'}]
  }
  const keepsUnknown = node['x-kubernetes-preserve-unknown-fields'] === true || node.additionalProperties !== undefined
  if (!keepsUnknown && isJson(out.properties)) out.additionalProperties = false
  // `nullable` is OpenAPI's; ajv knows it only next to a type.
  if (out.nullable !== undefined && out.type === undefined) delete out.nullable
  return out
}

/**
 * A CRD version's openAPIV3Schema as a schema for the whole object: the API server adds
 * apiVersion, kind and metadata to every custom resource, whatever the CRD declares.
 */
export function convertCrdSchema(openAPIV3Schema: unknown, objectMetaRef: string): unknown {
  const converted = convertSchema(openAPIV3Schema)
  if (!isJson(converted)) return converted
  const properties = isJson(converted.properties) ? converted.properties : {}
  const hasFields = isJson(converted.properties)
  return {
    ...converted,
    properties: {...properties, apiVersion: {type: 'string'}, kind: {type: 'string'}, metadata: {$ref: objectMetaRef}},
    ...(hasFields && converted.additionalProperties === undefined ? {additionalProperties: false} : {}),
  }
}

/**
 * A CRD's CEL validation rule (`x-kubernetes-validations`), kept beside the JSON Schema (ajv does
 * not know them): where it applies (property names from the object's root; null: every item of
 * an array or value of a map), the rule and its message. Transition rules (those that read
 * `oldSelf`) are left out: the API server runs them on updates only, and lint sees new objects.
 */
export interface CelRule {
  path: Array<string | null>
  rule: string
  message?: string
}

/** The CEL rules of a schema and everything under it. */
export function celRules(schema: unknown, path: Array<string | null> = [], out: CelRule[] = []): CelRule[] {
  if (!isJson(schema)) return out
  const validations = schema['x-kubernetes-validations']
  if (Array.isArray(validations)) {
    for (const validation of validations) {
      if (!isJson(validation) || typeof validation.rule !== 'string' || /\boldSelf\b/.test(validation.rule)) continue
      out.push({path: [...path], rule: validation.rule, ...(typeof validation.message === 'string' ? {message: validation.message} : {})})
    }
  }
  if (isJson(schema.properties)) for (const [name, property] of Object.entries(schema.properties)) celRules(property, [...path, name], out)
  if (isJson(schema.items)) celRules(schema.items, [...path, null], out)
  if (isJson(schema.additionalProperties)) celRules(schema.additionalProperties, [...path, null], out)
  return out
}

export interface SchemaBundle {
  /** Where the schemas come from, for messages: "Kubernetes v1.35.4, flagger v1.36.1, ...". */
  sources: string[]
  /** Schema name -> JSON Schema (refs as '#/definitions/<name>'). */
  definitions: Record<string, unknown>
  /** "group/version/Kind" ('' group for core) -> schema name. */
  kinds: Record<string, string>
  /** Schema name -> the CEL rules of its CRD (only names that have some). */
  cel?: Record<string, CelRule[]>
}

export const objectMetaDefinition = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'

/** The bundle entries of a CustomResourceDefinition object (every version that has a schema). */
export function crdEntries(crd: unknown): Array<{kind: string; name: string; schema: unknown; cel: CelRule[]}> {
  if (!isJson(crd) || !isJson(crd.spec)) return []
  const spec = crd.spec
  const group = typeof spec.group === 'string' ? spec.group : ''
  const kind = isJson(spec.names) && typeof spec.names.kind === 'string' ? spec.names.kind : ''
  if (!group || !kind) return []
  const versions = Array.isArray(spec.versions) ? spec.versions : []
  const entries: Array<{kind: string; name: string; schema: unknown; cel: CelRule[]}> = []
  for (const version of versions) {
    if (!isJson(version) || typeof version.name !== 'string') continue
    const schema = isJson(version.schema) ? version.schema.openAPIV3Schema : isJson(spec.validation) ? spec.validation.openAPIV3Schema : undefined
    if (!isJson(schema)) continue
    entries.push({
      kind: `${group}/${version.name}/${kind}`,
      name: `crd:${group}/${version.name}/${kind}`,
      schema: convertCrdSchema(schema, `#/definitions/${objectMetaDefinition}`),
      cel: celRules(schema),
    })
  }
  return entries
}
