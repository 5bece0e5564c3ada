import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {buildSchemaBundle} from '../../scripts/lint-schemas.js'
import {lintRepository} from '../../src/lib/lint/lint.js'
import {schemaSetOf, type SchemaSet} from '../../src/lib/rules/schema.js'

// The `schema` rule's verdicts and messages, with the schemas the build bundles.

const scratch = mkdtempSync(path.join(tmpdir(), 'elife-k8s-lint-schema-'))
afterAll(() => rmSync(scratch, {recursive: true, force: true}))
let schemas: SchemaSet
beforeAll(() => {
  schemas = schemaSetOf(buildSchemaBundle())
}, 300_000)

let counter = 0
function lintText(text: string): string[] {
  const dir = path.join(scratch, `r${counter++}`)
  mkdirSync(dir)
  writeFileSync(path.join(dir, 'ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n')
  writeFileSync(path.join(dir, 'x.yaml'), text)
  return lintRepository({paths: [dir], severity: 'warning', schemas, only: ['schema']}).findings.map((f) => `${f.line}:${f.column} ${f.message}`)
}

// Validators are compiled on first use (the built CLI loads them precompiled): allow for it.
describe('the schema rule', {timeout: 120_000}, () => {
  it('says which bundled schemas it has', () => {
    expect(schemas.sources).toEqual([
      'Kubernetes v1.35.4',
      'flagger v1.36.1',
      'helm-operator v1.4.4',
      'source-controller v1.8.0',
      'kustomize-controller v1.7.3',
      'sealed-secrets v0.40.0',
      'prometheus-operator v0.85.0',
    ])
    for (const kind of [
      '/v1/Service',
      'apps/v1/Deployment',
      'networking.k8s.io/v1/Ingress',
      'flagger.app/v1beta1/Canary',
      'helm.fluxcd.io/v1/HelmRelease',
      'monitoring.coreos.com/v1/PrometheusRule',
    ])
      expect(schemas.kinds[kind], kind).toBeDefined()
  })

  it('names unknown fields where they are, and wrong types (oneOf branches merged), never the values', () => {
    const secret = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: prod\nstringData:\n  token: [hunter2]\n'
    expect(lintText(secret)).toEqual(['7:3 stringData.token: must be string'])
    const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
  namespace: prod
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec:
      containers:
        - name: d
          image: i
          imagePullPolicy: IfNotPresent
          ports:
            - containerPort: 80
              hostPort: "80"
          resources:
            limits: {cpu: true}
          livenessProbe:
            httpGet: {port: [80], path: /}
          envFrom: []
          enviroment: []
`
    expect(lintText(deployment)).toEqual([
      '17:15 spec.template.spec.containers[0].ports[0].hostPort: must be integer',
      '19:22 spec.template.spec.containers[0].resources.limits.cpu: must be string or number',
      '21:23 spec.template.spec.containers[0].livenessProbe.httpGet.port: must be integer or string',
      '23:11 spec.template.spec.containers[0].enviroment: unknown field "enviroment" in spec.template.spec.containers[0]',
    ])
  })

  it('validates custom resources against a CRD found in the repository', () => {
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.org
spec:
  group: example.org
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer}
                port: {x-kubernetes-int-or-string: true}
                extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
---
apiVersion: example.org/v1
kind: Widget
metadata:
  name: ok
  namespace: prod
spec: {size: 1, port: http, extra: {anything: [1]}}
---
apiVersion: example.org/v1
kind: Widget
metadata:
  name: bad
  namespace: prod
spec: {port: 1.5, colour: red}
`
    expect(lintText(crd)).toEqual([
      '37:1 spec: missing required field "size"',
      '37:8 spec.port: must be integer or string',
      '37:19 spec.colour: unknown field "colour" in spec',
    ])
  })

  it('reports a kind its group does not have, and leaves kinds of groups it has no schema for alone', () => {
    expect(lintText('apiVersion: apps/v1\nkind: Deploymnet\nmetadata:\n  name: d\n  namespace: prod\n')).toEqual([
      '2:1 apps/v1 has no kind Deploymnet (in the schemas of Kubernetes v1.35.4, flagger v1.36.1, helm-operator v1.4.4, source-controller v1.8.0, kustomize-controller v1.7.3, sealed-secrets v0.40.0, prometheus-operator v0.85.0)',
    ])
    expect(lintText('apiVersion: example.org/v1\nkind: Gadget\nmetadata:\n  name: s\n  namespace: prod\nspec: {whatever: 1}\n')).toEqual([])
  })
})
