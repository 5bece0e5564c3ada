import {describeObject, groupOf, isObj} from './kube.js'
import type {Rule} from './types.js'

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
      report({on: document, path: missing[0] === 'apiVersion' || missing[0] === 'kind' ? [missing[0]] : path, message: `${what} has no ${missing.join(', no ')}`})
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
