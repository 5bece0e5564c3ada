// Builds the schemas `elife-k8s lint` validates objects with (issue 17, rule 2) into
// dist/lint-schemas.json and dist/lint-validators.cjs (+ dist/lint-validators/, one module per kind): Kubernetes' own OpenAPI v3 schemas from the k8s.io/kubernetes Go module
// at the version the local cluster pins (scripts/cluster/versions.env), and the CRDs of what
// eLife's cluster runs, from their Go modules at the versions pinned below. `go mod download`
// keeps the modules in Go's module cache, outside the repository. The CRDs of Flux v2 controllers
// the module proxy does not serve (the image controllers, notification-controller) are committed
// unchanged under scripts/crds/<controller>-<tag>/, each with a README naming repository, tag and path.
//
//   npx tsx scripts/lint-schemas.ts [--outdir dist]   (npm run build runs it)
//
// Without Go, or without the module proxy, the bundle is not written and `lint` says its schema
// rule was skipped.
import {execFileSync} from 'node:child_process'
import {mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

import {_, Ajv} from 'ajv'
import {fullFormats} from 'ajv-formats/dist/formats.js'
import standaloneModule from 'ajv/dist/standalone/index.js'
import {parseAllDocuments} from 'yaml'

import {checkedFormats, convertSchema, crdEntries, quantityPattern, type SchemaBundle, timePattern} from '../src/lib/rules/schema-convert.js'

type StandaloneCode = (ajv: Ajv, refs: Record<string, string>) => string
// ajv/dist/standalone is CommonJS: under Node's ES module loader its default export arrives
// wrapped in another default.
const standaloneCode = ((standaloneModule as unknown as {default?: StandaloneCode}).default ?? standaloneModule) as unknown as StandaloneCode

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** The CRDs bundled, each from a Go module at a pinned version. */
export const crdModules = [
  {module: 'github.com/fluxcd/flagger', version: 'v1.36.1', files: ['artifacts/flagger/crd.yaml']},
  {module: 'github.com/fluxcd/helm-operator', version: 'v1.4.4', files: ['deploy/crds.yaml']},
  // Flux v2 sources, Kustomization and HelmRelease (v2 and v2beta2, as helm-controller v1.4's CRD
  // carries them); the image controllers and notification-controller are vendored (below).
  {module: 'github.com/fluxcd/source-controller', version: 'v1.8.0', dir: 'config/crd/bases'},
  {module: 'github.com/fluxcd/kustomize-controller', version: 'v1.7.3', dir: 'config/crd/bases'},
  {module: 'github.com/fluxcd/helm-controller', version: 'v1.4.3', dir: 'config/crd/bases'},
  {module: 'github.com/bitnami-labs/sealed-secrets', version: 'v0.40.0', files: ['helm/sealed-secrets/crds/bitnami.com_sealedsecrets.yaml']},
  // Only the kinds a GitOps repository holds: the chart makes the Prometheus and Alertmanager
  // objects, whose CRDs alone would add 7 MB of validators.
  {
    module: 'github.com/prometheus-operator/prometheus-operator',
    version: 'v0.85.0',
    dir: 'example/prometheus-operator-crd',
    kinds: ['PrometheusRule', 'ServiceMonitor', 'PodMonitor', 'Probe'],
  },
] as const

/**
 * CRDs committed under scripts/crds/ (Flux v2's, at the Flux 2.7 releases of their controllers),
 * for modules the Go module proxy did not serve: ImageRepository, ImagePolicy,
 * ImageUpdateAutomation, Alert, Provider, Receiver.
 */
export const vendoredCrds = [
  {project: 'image-reflector-controller', version: 'v1.0.4'},
  {project: 'image-automation-controller', version: 'v1.0.4'},
  {project: 'notification-controller', version: 'v1.7.5'},
] as const

export function kubernetesVersion(): string {
  const env = readFileSync(path.join(root, 'scripts/cluster/versions.env'), 'utf8')
  const match = /^K8S_VERSION=(\S+)/m.exec(env)
  if (!match) throw new Error('scripts/cluster/versions.env has no K8S_VERSION')
  return match[1]
}

/** The module's directory in Go's module cache, downloading it if needed. */
function moduleDir(module: string, version: string): string {
  const out = execFileSync('go', ['mod', 'download', '-json', `${module}@${version}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {...process.env, GOFLAGS: '-mod=mod'},
  })
  const info = JSON.parse(out) as {Dir?: string; Error?: string}
  if (!info.Dir) throw new Error(`go mod download ${module}@${version}: ${info.Error ?? 'no directory'}`)
  return info.Dir
}

/**
 * Built-in int32 fields (replicas, ports...) as bounded integers: the API server decodes them into
 * Go int32s and refuses a number that does not fit. (CRD fields are not decoded so: their
 * int32 formats are left alone.)
 */
export function int32Bounds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(int32Bounds)
  if (typeof node !== 'object' || node === null) return node
  const out = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, int32Bounds(value)])) as Record<string, unknown>
  if (out.type === 'integer' && out.format === 'int32') Object.assign(out, {minimum: -2147483648, maximum: 2147483647})
  return out
}

/**
 * metav1.Time (creationTimestamp and every built-in date-time but MicroTime's) as the API server
 * decodes it: null is no time (withoutNulls, src/lib/rules/schema.ts, takes a null field out before
 * validation, as for every other field), a string is parsed by Go's time.Parse(time.RFC3339, ...), which
 * takes upper-case T and Z only, a +hh:mm offset and seconds up to 59 (this pattern), on a real
 * calendar day and hour (ajv-formats' date-time). MicroTime (Events, Leases) is parsed with
 * another layout and is left unchecked.
 */
export const timeDefinition = {
  type: 'string',
  format: 'date-time',
  pattern: timePattern,
}

/** The built-in definitions whose checks are set here rather than converted from the OpenAPI document. */
export function builtinFormats(definitions: Record<string, unknown>): void {
  const time = 'io.k8s.apimachinery.pkg.apis.meta.v1.Time'
  const microTime = 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime'
  const quantity = 'io.k8s.apimachinery.pkg.api.resource.Quantity'
  if (definitions[time]) definitions[time] = {...timeDefinition}
  if (definitions[microTime]) definitions[microTime] = {type: 'string'}
  const q = definitions[quantity] as {oneOf?: Array<{type?: string; pattern?: string}>} | undefined
  for (const branch of q?.oneOf ?? []) if (branch.type === 'string') branch.pattern = quantityPattern
}

export function buildSchemaBundle(): SchemaBundle {
  const k8sVersion = kubernetesVersion()
  const bundle: SchemaBundle = {sources: [`Kubernetes ${k8sVersion}`], definitions: {}, kinds: {}}
  const specDir = path.join(moduleDir('k8s.io/kubernetes', k8sVersion), 'api/openapi-spec/v3')
  for (const file of readdirSync(specDir).sort()) {
    if (!file.endsWith('.json')) continue
    const spec = JSON.parse(readFileSync(path.join(specDir, file), 'utf8')) as {components?: {schemas?: Record<string, Record<string, unknown>>}}
    for (const [name, schema] of Object.entries(spec.components?.schemas ?? {})) {
      if (bundle.definitions[name]) continue
      bundle.definitions[name] = convertSchema(int32Bounds(schema))
      const gvks = schema['x-kubernetes-group-version-kind']
      // Only kinds with a spec of their own (not the list/option/event types every group repeats).
      if (Array.isArray(gvks) && gvks.length === 1) {
        const {group, version, kind} = gvks[0] as {group: string; version: string; kind: string}
        bundle.kinds[`${group}/${version}/${kind}`] = name
      }
    }
  }
  builtinFormats(bundle.definitions)
  addBuiltinEnums(bundle, readFileSync(path.join(moduleDir('k8s.io/kubernetes', k8sVersion), 'pkg/generated/openapi/zz_generated.openapi.go'), 'utf8'))
  for (const source of crdModules) {
    const dir = moduleDir(source.module, source.version)
    const files =
      'dir' in source
        ? readdirSync(path.join(dir, source.dir))
            .filter((f) => f.endsWith('.yaml'))
            .map((f) => path.join(source.dir, f))
        : source.files
    for (const file of files) {
      for (const doc of parseAllDocuments(readFileSync(path.join(dir, file), 'utf8'))) {
        for (const entry of crdEntries(doc.toJS())) {
          if ('kinds' in source && !(source.kinds as readonly string[]).includes(entry.kind.slice(entry.kind.lastIndexOf('/') + 1))) continue
          bundle.definitions[entry.name] = entry.schema
          bundle.kinds[entry.kind] = entry.name
          if (entry.cel.length > 0) (bundle.cel ??= {})[entry.name] = entry.cel
        }
      }
    }
    bundle.sources.push(`${source.module.split('/').pop()} ${source.version}`)
  }
  for (const source of vendoredCrds) {
    const dir = path.join(root, 'scripts/crds', `${source.project}-${source.version}`)
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.yaml')) continue
      for (const doc of parseAllDocuments(readFileSync(path.join(dir, file), 'utf8'))) {
        for (const entry of crdEntries(doc.toJS())) {
          bundle.definitions[entry.name] = entry.schema
          bundle.kinds[entry.kind] = entry.name
          if (entry.cel.length > 0) (bundle.cel ??= {})[entry.name] = entry.cel
        }
      }
    }
    bundle.sources.push(`${source.project} ${source.version}`)
  }
  return bundle
}

/**
 * Enums of built-in fields (Service.spec.type, Ingress pathType...). The published OpenAPI files
 * (api/openapi-spec) are generated without them, but the API server serves them: kube-openapi
 * generates them from the types' `+enum` markers into pkg/generated/openapi/zz_generated.openapi.go
 * of the same module, which is what the server's /openapi/v3 is made from. Read from there (gofmt's
 * layout: a definition's properties at five tabs, a property's own `Enum:` at seven, its array
 * items' at ten), by definition, property and whether the enum is the items'.
 */
export function builtinEnums(generated: string): Array<{definition: string; property: string; items: boolean; values: string[]}> {
  const out: Array<{definition: string; property: string; items: boolean; values: string[]}> = []
  let definition = ''
  let property = ''
  let inItems = false
  for (const line of generated.split('\n')) {
    const fn = /^func schema_k8sio_(\w+)\(ref common\.ReferenceCallback\) common\.OpenAPIDefinition \{$/.exec(line)
    if (fn) {
      definition = fn[1]
      property = ''
      continue
    }
    if (line.startsWith('func ')) {
      definition = ''
      continue
    }
    if (!definition) continue
    const prop = /^\t{5}"([^"]+)": \{$/.exec(line)
    if (prop) {
      property = prop[1]
      inItems = false
      continue
    }
    if (/^\t{7}Items: /.test(line)) inItems = true
    const enumLine = /^(\t{7}|\t{10})Enum:\s+\[\]interface\{\}\{(.*)\},$/.exec(line)
    if (!enumLine || !property) continue
    const items = enumLine[1].length === 10
    if (items && !inItems) continue
    const values = [...enumLine[2].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string)
    out.push({definition, property, items, values})
  }
  return out
}

/** Adds builtinEnums() to the bundle's Kubernetes definitions; returns how many fields got one. */
export function addBuiltinEnums(bundle: SchemaBundle, generated: string): number {
  // zz_generated's function names are the Go package path and type, '.', '/' and '-' made '_'
  // ("k8s.io/api/core/v1.ServiceSpec" -> schema_k8sio_api_core_v1_ServiceSpec); the OpenAPI names
  // are "io.k8s.api.core.v1.ServiceSpec".
  const byFunction = new Map<string, string>()
  for (const name of Object.keys(bundle.definitions)) {
    if (name.startsWith('io.k8s.')) byFunction.set(name.slice('io.k8s.'.length).replaceAll(/[.\-/]/g, '_'), name)
  }
  let added = 0
  for (const {definition, property, items, values} of builtinEnums(generated)) {
    const name = byFunction.get(definition)
    const schema = name ? (bundle.definitions[name] as {properties?: Record<string, {type?: unknown; items?: {type?: unknown}}>}) : undefined
    const field = schema?.properties?.[property]
    const target = items ? field?.items : field
    // Only where the published schema has the same plain string field.
    if (!target || target.type !== 'string') continue
    Object.assign(target, {enum: values})
    added++
  }
  return added
}

/**
 * The validators of the bundled kinds, one CommonJS module of code ajv generated (ajv's
 * standalone mode) per kind, and an index module saying which file validates which definition and
 * where the schemas come from: compiling them when lint runs costs ~0.5 s, loading one ~1 ms.
 * lint loads only the kinds a repository holds: the bench repository's 9 kinds load 3.5-5 MB
 * where one module of all 198 kinds took 14.7 MB, and a kind added to the bundle costs nothing
 * where it is not used. Each module keeps the definitions its kind uses (ObjectMeta, PodSpec...),
 * so these are on disk once per kind that uses them (15 MB in all).
 */
export function validatorModules(bundle: SchemaBundle): {index: string; modules: Record<string, string>} {
  // Formats (checkedFormats) are ajv-formats' own: the generated code requires them from it.
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    validateSchema: false,
    inlineRefs: false,
    code: {source: true, formats: _`require("ajv-formats/dist/formats").fullFormats`},
  })
  for (const name of checkedFormats) ajv.addFormat(name, fullFormats[name])
  ajv.addSchema({definitions: bundle.definitions}, 'k8s')
  const names = [...new Set(Object.values(bundle.kinds))].sort()
  const modules: Record<string, string> = {}
  const exportsByName: Record<string, string> = {}
  for (const [i, name] of names.entries()) {
    exportsByName[name] = `v${i}`
    modules[`v${i}.cjs`] = standaloneCode(ajv, {validate: `k8s#/definitions/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`})
  }
  const index = `exports.meta = ${JSON.stringify({sources: bundle.sources, kinds: bundle.kinds, exports: exportsByName, dir: 'lint-validators', cel: bundle.cel ?? {}})};\n`
  return {index, modules}
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const {values} = parseArgs({options: {outdir: {type: 'string', default: path.join(root, 'dist')}}})
  try {
    const bundle = buildSchemaBundle()
    mkdirSync(values.outdir!, {recursive: true})
    writeFileSync(path.join(values.outdir!, 'lint-schemas.json'), JSON.stringify(bundle))
    const {index, modules} = validatorModules(bundle)
    const dir = path.join(values.outdir!, 'lint-validators')
    rmSync(dir, {recursive: true, force: true})
    mkdirSync(dir)
    for (const [file, code] of Object.entries(modules)) writeFileSync(path.join(dir, file), code)
    writeFileSync(path.join(values.outdir!, 'lint-validators.cjs'), index)
    console.error(
      `lint schemas: ${Object.keys(bundle.kinds).length} kinds from ${bundle.sources.join(', ')} -> ${path.relative(root, values.outdir!)}/lint-validators.cjs`,
    )
  } catch (error) {
    // No Go or no module proxy: lint runs without its schema rule (and says so).
    console.error(`lint schemas: not built (${(error as Error).message.split('\n')[0]}); elife-k8s lint will skip its schema rule`)
  }
}
