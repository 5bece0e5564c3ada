import path from 'node:path'

import {asList, asObj, asString, describeObject, groupOf, isKubeObject, isObj} from './kube.js'
import type {ObjectIndex} from './object-index.js'
import {fileOf, type Rule, type SourcedDocument} from './types.js'

// Issue 17, rule 1: what Flux will apply. Flux v1 applies every .yaml/.yml file in the
// repository with kubectl; one document it cannot apply fails the sync of the whole repository.

const group = 'What Flux applies'

export const yamlSyntax: Rule = {
  id: 'yaml-syntax',
  severity: 'error',
  group,
  summary: 'Every file Flux applies can be read and parses as YAML (duplicate keys included).',
  hint: 'fix the YAML at this position (a wrong indentation or a tab is the usual cause)',
  check(index, report) {
    for (const problem of index.fileProblems) report({at: problem.position, message: problem.message})
  },
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'a list'
  if (value === null) return 'null'
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`
}

export const notAnObject: Rule = {
  id: 'not-an-object',
  severity: 'error',
  group,
  summary: 'Every YAML document is a Kubernetes object, not a values file, a list or a template.',
  hint: 'Flux applies every .yaml file: rename a file that is not a manifest to *.yaml-template (as the runbook does with alertmanager-secret.yaml-template), or move it out of the repository',
  check(index, report) {
    for (const document of index.documents) {
      const value = document.value
      if (isObj(value) && (value.apiVersion !== undefined || value.kind !== undefined)) continue
      report({on: document, message: `this document is ${typeName(value)} without apiVersion and kind, not a Kubernetes object`})
    }
  },
}

export const objectShape: Rule = {
  id: 'object-shape',
  severity: 'error',
  group,
  summary: 'Every object has a string apiVersion, a string kind and a metadata.name.',
  hint: 'add the missing field (kubectl refuses an object without it)',
  check(index, report) {
    for (const document of index.documents) {
      const value = document.value
      if (!isObj(value) || (value.apiVersion === undefined && value.kind === undefined)) continue
      // kustomize's own kustomization.yaml (kustomize.config.k8s.io) configures a build; it has no metadata.name.
      if (typeof value.apiVersion === 'string' && value.apiVersion.startsWith('kustomize.config.k8s.io/')) continue
      const missing: string[] = []
      const path: string[] = []
      if (typeof value.apiVersion !== 'string' || value.apiVersion === '') missing.push('apiVersion')
      if (typeof value.kind !== 'string' || value.kind === '') missing.push('kind')
      const metadata = value.metadata
      if (!isObj(metadata)) {
        missing.push('metadata.name')
        path.push('metadata')
      } else if (typeof metadata.name !== 'string' || metadata.name === '') {
        missing.push('metadata.name')
        path.push('metadata', 'name')
      } else if (metadata.namespace !== undefined && typeof metadata.namespace !== 'string') {
        missing.push('a string metadata.namespace')
        path.push('metadata', 'namespace')
      }
      if (missing.length === 0) continue
      const what = typeof value.kind === 'string' ? `this ${value.kind}` : 'this object'
      report({
        on: document,
        path: missing[0] === 'apiVersion' || missing[0] === 'kind' ? [missing[0]] : path,
        message: `${what} has no ${missing.join(', no ')}`,
      })
    }
  },
}

export const duplicateObject: Rule = {
  id: 'duplicate-object',
  severity: 'error',
  group,
  summary: 'No two objects share a group, kind, namespace and name (the later one would silently win).',
  hint: 'remove one of the copies, or rename it',
  check(index, report) {
    for (const item of index.objects) {
      const same = index.sameIdentity(item)
      if (same.length < 2 || same[0] === item) continue
      const first = same[0]
      const where = 'file' in first.source ? `${first.source.file}:${first.source.line}` : 'the cluster'
      const group = groupOf(item.object.apiVersion)
      report({on: item, message: `${describeObject(item.object, index.namespaceOf(item.object))}${group ? ` (${group})` : ''} is also defined at ${where}`})
    }
  },
}

/** Flux v1 runs this repository too: fluxd (its chart or image) or helm-operator's HelmReleases. */
function fluxV1Signs(index: ObjectIndex): boolean {
  if (index.ofKind('HelmRelease', ['helm.fluxcd.io']).length > 0) return true
  if (index.helmReleases().some((release) => index.chartName(release.object) === 'flux')) return true
  return index
    .ofKind('Deployment', ['apps'])
    .some((deployment) =>
      asList(asObj(asObj(asObj(deployment.object.spec).template).spec).containers).some((container) =>
        /(^|\/)fluxcd\/flux:/.test(String(asObj(container).image ?? '')),
      ),
    )
}

const kustomizationFile = /^(kustomization\.ya?ml)$/

/**
 * The files (relative to the repository root, `/`-separated) that Flux v2 applies for one
 * Kustomization path: the resources its kustomization.yaml lists (directories recursively), or,
 * without one, every YAML file in the tree (kustomize-controller generates the list; a
 * subdirectory with its own kustomization.yaml is taken as that one says).
 */
function coveredFiles(dir: string, files: ReadonlyMap<string, readonly SourcedDocument[]>, out: Set<string>, seen: Set<string> = new Set()): void {
  if (seen.has(dir)) return
  seen.add(dir)
  const prefix = dir === '' ? '' : `${dir}/`
  const own = [...files.keys()].find((file) => file.startsWith(prefix) && kustomizationFile.test(file.slice(prefix.length)))
  if (own) {
    out.add(own)
    for (const document of files.get(own) ?? []) {
      for (const entry of asList(asObj(document.value).resources)) {
        if (typeof entry !== 'string' || /^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) continue
        const target = path.posix
          .normalize(path.posix.join(dir, entry))
          .replace(/^\.\/?$/, '')
          .replace(/\/$/, '')
        if (files.has(target)) out.add(target)
        else coveredFiles(target, files, out, seen)
      }
    }
    return
  }
  const nested = new Set<string>()
  for (const file of files.keys()) {
    if (!file.startsWith(prefix)) continue
    const rest = file.slice(prefix.length)
    const parts = rest.split('/')
    // The nearest subdirectory with its own kustomization.yaml decides for everything below it.
    let governed = false
    for (let depth = 1; depth < parts.length; depth++) {
      const sub = `${prefix}${parts.slice(0, depth).join('/')}`
      if ([...files.keys()].some((other) => other.startsWith(`${sub}/`) && kustomizationFile.test(other.slice(sub.length + 1)))) {
        nested.add(sub)
        governed = true
        break
      }
    }
    if (!governed) out.add(file)
  }
  for (const sub of nested) coveredFiles(sub, files, out, seen)
}

export const fluxNotApplied: Rule = {
  id: 'flux-not-applied',
  severity: 'warning',
  group,
  summary: "In a Flux v2 repository, every object is in a file that some Kustomization's spec.path covers (else Flux never applies it).",
  hint: "move the file under a Kustomization's path (or list it in that path's kustomization.yaml resources), or add a Kustomization for its directory",
  check(index, report) {
    const root = index.repositoryRoot
    const kustomizations = index.ofKind('Kustomization', ['kustomize.toolkit.fluxcd.io'])
    if (root === undefined || kustomizations.length === 0 || fluxV1Signs(index)) return
    // Every document from a file, by its path relative to the root.
    const files = new Map<string, SourcedDocument[]>()
    for (const document of index.documents) {
      const file = document.rendered ? undefined : fileOf(document)
      if (file === undefined) continue
      const relative = path.relative(root, file).split(path.sep).join('/')
      const list = files.get(relative)
      if (list) list.push(document)
      else files.set(relative, [document])
    }
    const covered = new Set<string>()
    const paths: string[] = []
    for (const kustomization of kustomizations) {
      const spec = asObj(kustomization.object.spec)
      if ((asString(asObj(spec.sourceRef).kind) ?? 'GitRepository') !== 'GitRepository') continue
      const dir = path.posix
        .normalize(asString(spec.path) ?? './')
        .replace(/^\.\/?/, '')
        .replace(/^\//, '')
        .replace(/\/$/, '')
      paths.push(`./${dir}`)
      coveredFiles(dir === '.' ? '' : dir, files, covered)
    }
    const listed = [...new Set(paths)].sort().join(', ')
    for (const [file, documents] of files) {
      if (covered.has(file)) continue
      const objects = documents.filter((document) => isKubeObject(document.value))
      if (objects.length === 0) continue
      const first = objects[0].value as {kind: string; metadata: {name: string}}
      report({
        on: objects[0],
        message: `no Flux Kustomization's path (${listed}) covers this file, so Flux never applies ${objects.length === 1 ? `this ${first.kind} "${first.metadata.name}"` : `its ${objects.length} objects`}`,
      })
    }
  },
}
