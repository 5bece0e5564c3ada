import {parse as parseCel} from '@marcbachmann/cel-js'
import {Ajv, type ErrorObject, type ValidateFunction} from 'ajv'
import {fullFormats} from 'ajv-formats/dist/formats.js'

import {apiVersionChanges} from './deprecations.js'
import {fieldPath, groupOf} from './kube.js'
import type {ObjectIndex} from './object-index.js'
import {
  base64Pattern,
  type CelRule,
  checkedFormats,
  crdDateTimePattern,
  crdEntries,
  int64Range,
  crdQuantityPattern,
  quantityPattern,
  type SchemaBundle,
  timePattern,
} from './schema-convert.js'
import type {PathSegment, Rule} from './types.js'

// Issue 17, rule 2: every object against the schema of its apiVersion and kind, strictly
// (unknown fields are errors: a HelmRelease values key at the wrong indentation is the classic).
// Schemas: Kubernetes' OpenAPI v3 and the CRDs this cluster runs, bundled at build time
// (scripts/lint-schemas.ts), plus the CRDs found in the repository. Validated by ajv.

const group = 'Schemas'

/** What a date-time (metav1.Time, a CRD's format: date-time) that the API server cannot parse is told. */
const dateTimeMessage = 'must be a time as RFC 3339 writes it, such as 2024-01-31T09:30:00Z (a calendar day, T, a zone Z or +01:00)'

/** At most this many schema findings per object: the first ones say what is wrong. */
const perObject = 10

/**
 * The schemas the rule validates with, wherever they come from: the validators built into dist/
 * (lint), or definitions to compile now (tests; doctor with the server's own schemas).
 */
export interface SchemaSet {
  /** Where the schemas come from, for messages: "Kubernetes v1.35.4", "flagger v1.36.1"... */
  sources: string[]
  /** "group/version/Kind" ('' group for core) -> definition name. */
  kinds: Record<string, string>
  /** A validator compiled ahead of time, by definition name. */
  compiled?: (name: string) => ValidateFunction | undefined
  /** The definitions, for what has no compiled validator (CRDs found in the repository). */
  definitions?: () => Record<string, unknown> | undefined
  /** The CRDs' CEL rules (x-kubernetes-validations), by definition name. */
  cel?: Record<string, CelRule[]>
}

export function schemaSetOf(bundle: SchemaBundle): SchemaSet {
  return {sources: bundle.sources, kinds: bundle.kinds, definitions: () => bundle.definitions, cel: bundle.cel}
}

interface Validator {
  validate(kindKey: string): ValidateFunction | undefined
  /** The CEL rules of the kind's CRD. */
  cel(kindKey: string): readonly CelRule[]
  known(kindKey: string): boolean
  groups: ReadonlySet<string>
}

const validators = new WeakMap<ObjectIndex, Validator | null>()

interface CompileState {
  ajv?: Ajv
  compiled: Map<string, ValidateFunction | undefined>
}

const compileStates = new WeakMap<SchemaSet, CompileState>()

function newCompileState(): CompileState {
  return {compiled: new Map()}
}

function validatorFor(index: ObjectIndex): Validator | undefined {
  if (validators.has(index)) return validators.get(index) ?? undefined
  const set: SchemaSet | undefined = index.schemas
  if (!set) {
    validators.set(index, null)
    return undefined
  }
  const kinds: Record<string, string> = {...set.kinds}
  const repoDefinitions: Record<string, unknown> = {}
  const celByName: Record<string, readonly CelRule[]> = {...set.cel}
  // CRDs in the repository describe their own kinds (and win over the bundled ones).
  for (const crd of index.ofKind('CustomResourceDefinition', ['apiextensions.k8s.io'])) {
    for (const entry of crdEntries(crd.object)) {
      repoDefinitions[entry.name] = entry.schema
      kinds[entry.kind] = entry.name
      celByName[entry.name] = entry.cel
    }
  }
  // Compiled validators are kept with the schema set (one compile per kind per process, as the
  // doctor and the tests run many indexes), unless the repository brings CRDs of its own.
  const ownCrds = Object.keys(repoDefinitions).length > 0
  const state = ownCrds ? newCompileState() : (compileStates.get(set) ?? compileStates.set(set, newCompileState()).get(set)!)
  const runtime = (): Ajv | undefined => {
    if (state.ajv) return state.ajv
    const definitions = set.definitions?.()
    if (!definitions) return undefined
    state.ajv = new Ajv({strict: false, allErrors: true, validateSchema: false})
    for (const format of checkedFormats) state.ajv.addFormat(format, fullFormats[format])
    state.ajv.addSchema({definitions: {...definitions, ...repoDefinitions}}, 'k8s')
    return state.ajv
  }
  const compiled = state.compiled
  const groups = new Set(Object.keys(kinds).map((key) => key.slice(0, key.indexOf('/'))))
  const validator: Validator = {
    known: (key) => kinds[key] !== undefined,
    cel: (key) => (kinds[key] ? (celByName[kinds[key]] ?? []) : []),
    groups,
    validate(key) {
      const name = kinds[key]
      if (!name) return undefined
      if (!compiled.has(name)) {
        const ahead = repoDefinitions[name] === undefined ? set.compiled?.(name) : undefined
        compiled.set(name, ahead ?? runtime()?.getSchema(`k8s#/definitions/${jsonPointerEscape(name)}`))
      }
      return compiled.get(name)
    },
  }
  validators.set(index, validator)
  return validator
}

function jsonPointerEscape(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1')
}

function segmentsOf(instancePath: string): PathSegment[] {
  if (instancePath === '') return []
  return instancePath
    .slice(1)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part))
}

function dotted(segments: readonly PathSegment[]): string {
  return fieldPath(segments) || '(the object)'
}

type CelProgram = (context: {self: unknown}) => unknown
const celPrograms = new Map<string, CelProgram | null>()

/** A rule parsed once per process; null when cel-js cannot parse it (a Kubernetes CEL library it lacks). */
function celProgram(rule: string): CelProgram | null {
  let program = celPrograms.get(rule)
  if (program === undefined) {
    try {
      program = parseCel(rule) as unknown as CelProgram
    } catch {
      program = null
    }
    celPrograms.set(rule, program)
  }
  return program
}

/** The object as the API server's CEL sees it: whole numbers are CEL ints. */
function celValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value
  if (Array.isArray(value)) return value.map(celValue)
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, celValue(v)]))
  return value
}

/** Every node a rule applies to: its value and where it is. */
function* celTargets(node: unknown, path: ReadonlyArray<string | null>, at: PathSegment[] = []): Generator<{self: unknown; at: PathSegment[]}> {
  if (node === undefined || node === null) return
  if (path.length === 0) {
    yield {self: node, at}
    return
  }
  const [head, ...rest] = path
  if (head === null) {
    if (Array.isArray(node)) for (const [i, item] of node.entries()) yield* celTargets(item, rest, [...at, i])
    else if (typeof node === 'object') for (const [key, item] of Object.entries(node)) yield* celTargets(item, rest, [...at, key])
  } else if (typeof node === 'object' && !Array.isArray(node) && Object.hasOwn(node, head)) {
    yield* celTargets((node as Record<string, unknown>)[head], rest, [...at, head])
  }
}

/**
 * The CRD's CEL rules that the object breaks, evaluated with cel-js as the API server evaluates
 * them on create. A rule cel-js cannot parse or evaluate (Kubernetes' own CEL libraries, a type
 * it reads differently) is not judged: lint then says nothing rather than something wrong.
 */
export function celFindings(object: unknown, rules: readonly CelRule[]): Array<{path: PathSegment[]; message: string}> {
  if (rules.length === 0) return []
  const root = celValue(object)
  const out: Array<{path: PathSegment[]; message: string}> = []
  for (const rule of rules) {
    const program = celProgram(rule.rule)
    if (!program) continue
    for (const {self, at} of celTargets(root, rule.path)) {
      let result: unknown
      try {
        result = program({self})
      } catch {
        continue
      }
      if (result === false) out.push({path: at, message: `${dotted(at)}: ${rule.message ?? `failed rule: ${rule.rule}`}`})
    }
  }
  return out
}

/**
 * ajv's errors as one message per place: unknown fields, missing fields, wrong types (the types
 * of oneOf/anyOf branches merged: "must be integer or string"), enums. Values are never quoted:
 * they may be secrets.
 */
export function describeErrors(errors: readonly ErrorObject[]): Array<{path: PathSegment[]; message: string}> {
  const out: Array<{path: PathSegment[]; message: string}> = []
  const types = new Map<string, Set<string>>()
  const alternatives = new Map<string, {path: PathSegment[]; fields: Set<string>}>()
  const seen = new Set<string>()
  const quantities = new Set<string>()
  const add = (path: PathSegment[], message: string) => {
    const key = `${JSON.stringify(path)} ${message}`
    if (!seen.has(key)) {
      seen.add(key)
      out.push({path, message})
    }
  }
  for (const error of errors) {
    const path = segmentsOf(error.instancePath)
    switch (error.keyword) {
      case 'additionalProperties': {
        const field = String((error.params as {additionalProperty: string}).additionalProperty)
        add([...path, field], `${dotted([...path, field])}: unknown field "${field}"${path.length > 0 ? ` in ${dotted(path)}` : ''}`)
        break
      }
      case 'required': {
        const field = String((error.params as {missingProperty: string}).missingProperty)
        // Required inside oneOf/anyOf branches: one of them is needed, not all.
        const branch = /^(.*\/(?:oneOf|anyOf))\/\d+\/required$/.exec(error.schemaPath)
        if (branch) {
          const key = `${error.instancePath} ${branch[1]}`
          const fields = alternatives.get(key) ?? {path, fields: new Set<string>()}
          fields.fields.add(field)
          alternatives.set(key, fields)
        } else add(path, `${dotted(path)}: missing required field "${field}"`)
        break
      }
      case 'type': {
        const set = types.get(error.instancePath) ?? new Set()
        for (const type of String((error.params as {type: string | string[]}).type).split(',')) set.add(type)
        types.set(error.instancePath, set)
        break
      }
      case 'enum':
        add(
          path,
          `${dotted(path)}: must be one of ${((error.params as {allowedValues: unknown[]}).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`,
        )
        break
      case 'pattern': {
        const pattern = (error.params as {pattern?: string}).pattern
        if (pattern === base64Pattern) add(path, `${dotted(path)}: must be base64 (format byte)`)
        else if (pattern === timePattern || pattern === crdDateTimePattern) add(path, `${dotted(path)}: ${dateTimeMessage}`)
        else if (pattern === quantityPattern || pattern === crdQuantityPattern) {
          // Quantity is a string or a number: its number branch's "must be number" says nothing more.
          quantities.add(error.instancePath)
          add(path, `${dotted(path)}: must be a quantity, such as 512Mi, 1.5Gi, 250m or 1e3`)
        } else add(path, `${dotted(path)}: ${error.message ?? error.keyword}`)
        break
      }
      case 'format':
        if ((error.params as {format?: string}).format === 'date-time') add(path, `${dotted(path)}: ${dateTimeMessage}`)
        else add(path, `${dotted(path)}: ${error.message ?? error.keyword}`)
        break
      case 'maximum':
      case 'minimum': {
        const limit = (error.params as {limit?: number}).limit
        if (limit === int64Range.maximum || limit === int64Range.minimum) add(path, `${dotted(path)}: must fit in a 64-bit integer (int64)`)
        else add(path, `${dotted(path)}: ${error.message ?? error.keyword}`)
        break
      }
      case 'oneOf':
      case 'anyOf':
      case 'allOf':
      case 'if':
        break
      default:
        add(path, `${dotted(path)}: ${error.message ?? error.keyword}`)
    }
  }
  for (const {path, fields} of alternatives.values()) add(path, `${dotted(path)}: needs one of ${[...fields].map((f) => `"${f}"`).join(', ')}`)
  for (const [instancePath, set] of types) {
    if (quantities.has(instancePath)) continue
    const path = segmentsOf(instancePath)
    add(path, `${dotted(path)}: must be ${[...set].join(' or ')}`)
  }
  return out
}

/**
 * The object as the API server validates it, as far as nulls go: a field given null (an empty
 * `annotations:` or `resources:`, common in rendered charts) is decoded into Go's zero value for a
 * built-in kind and pruned from a custom resource unless its schema says nullable, so it is
 * validated as if absent (a required field given null is then missing, as the server says).
 * Returns the object itself when it holds no null.
 */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined
    value.forEach((item, i) => {
      const pruned = withoutNulls(item)
      if (pruned !== item) (copy ??= [...value])[i] = pruned
    })
    return copy ?? value
  }
  if (typeof value !== 'object' || value === null) return value
  let copy: Record<string, unknown> | undefined
  for (const [key, item] of Object.entries(value)) {
    if (item === null) {
      copy ??= {...value}
      delete copy[key]
      continue
    }
    const pruned = withoutNulls(item)
    if (pruned !== item) (copy ??= {...value})[key] = pruned
  }
  return copy ?? value
}

export const schemaRule: Rule = {
  id: 'schema',
  severity: 'error',
  group,
  summary:
    "Every object matches the schema of its apiVersion and kind (Kubernetes OpenAPI; bundled CRDs of Flagger, helm-operator, the Prometheus operator, Flux v2 sources, Kustomization, HelmRelease, image automation and notification, SealedSecret; CRDs in the repository), strictly: unknown fields are errors, a field given null counts as absent (as the API server decodes it); base64, int32 and int64 ranges, RFC 3339 times and resource quantities as the API server decodes them; the CRDs' CEL rules too, where cel-js can evaluate them.",
  hint: "check the field's name and indentation (a HelmRelease values key one level off is the classic); `kubectl explain <kind>.<field>` shows the schema",
  check(index, report) {
    const validator = validatorFor(index)
    if (!validator) return
    for (const item of index.objects) {
      const {apiVersion, kind} = item.object
      const group = groupOf(apiVersion)
      const version = apiVersion.slice(apiVersion.lastIndexOf('/') + 1)
      const key = `${group}/${version}/${kind}`
      const validate = validator.validate(key)
      if (!validate) {
        // A kind of a group we know all kinds of, but not this one: a typo (removed APIs are api-removed's).
        const removed = apiVersionChanges.some((change) => change.apiVersion === apiVersion && change.kind === kind)
        if (!removed && validator.groups.has(group) && !validator.known(key)) {
          report({on: item, path: ['kind'], message: `${apiVersion} has no kind ${kind} (in the schemas of ${index.schemas?.sources.join(', ')})`})
        }
        continue
      }
      const object = withoutNulls(item.object) as typeof item.object
      const found = validate(object) ? [] : describeErrors(validate.errors ?? [])
      found.push(...celFindings(object, validator.cel(key)))
      for (const {path, message} of found.slice(0, perObject)) report({on: item, path, message})
    }
  },
}
