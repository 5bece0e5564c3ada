import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {buildSchemaBundle} from '../../scripts/lint-schemas.js'
import {lintRepository} from '../../src/lib/lint/lint.js'
import {schemaSetOf, type SchemaSet} from '../../src/lib/rules/schema.js'
import {convertSchema, int64Range} from '../../src/lib/rules/schema-convert.js'

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
      'helm-controller v1.4.3',
      'sealed-secrets v0.40.0',
      'prometheus-operator v0.85.0',
      'image-reflector-controller v1.0.4',
      'image-automation-controller v1.0.4',
      'notification-controller v1.7.5',
    ])
    for (const kind of [
      '/v1/Service',
      'apps/v1/Deployment',
      'networking.k8s.io/v1/Ingress',
      'flagger.app/v1beta1/Canary',
      'helm.fluxcd.io/v1/HelmRelease',
      'monitoring.coreos.com/v1/PrometheusRule',
      'helm.toolkit.fluxcd.io/v2/HelmRelease',
      'helm.toolkit.fluxcd.io/v2beta2/HelmRelease',
      'image.toolkit.fluxcd.io/v1/ImageRepository',
      'image.toolkit.fluxcd.io/v1beta2/ImagePolicy',
      'image.toolkit.fluxcd.io/v1/ImageUpdateAutomation',
      'notification.toolkit.fluxcd.io/v1beta3/Alert',
      'notification.toolkit.fluxcd.io/v1beta3/Provider',
      'notification.toolkit.fluxcd.io/v1/Receiver',
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

  // Flux v2's HelmRelease, image automation and notification kinds, against the CRDs bundled from
  // helm-controller v1.4.3, image-reflector-controller v1.0.4, image-automation-controller v1.0.4
  // and notification-controller v1.7.5: a valid object of each lints clean; one edit is reported
  // at its line.
  const fluxObjects: Record<string, string> = {
    helmRelease: `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: journal
  namespace: prod
spec:
  interval: 10m
  chart:
    spec:
      chart: journal
      version: 1.2.x
      sourceRef:
        kind: HelmRepository
        name: elife
        namespace: flux-system
  install:
    remediation:
      retries: 3
  values:
    image:
      tag: 4e3d2c1
`,
    helmReleaseV2beta2: `apiVersion: helm.toolkit.fluxcd.io/v2beta2
kind: HelmRelease
metadata:
  name: journal
  namespace: prod
spec:
  interval: 10m
  chart:
    spec:
      chart: journal
      sourceRef:
        kind: HelmRepository
        name: elife
  values:
    replicaCount: 2
`,
    imageRepository: `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: journal
  namespace: prod
spec:
  image: ghcr.io/elifesciences/journal
  interval: 5m
  secretRef:
    name: ghcr
`,
    imagePolicy: `apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata:
  name: journal
  namespace: prod
spec:
  imageRepositoryRef:
    name: journal
  filterTags:
    pattern: '^master-[a-f0-9]+-(?P<ts>[0-9]+)$'
    extract: '$ts'
  policy:
    numerical:
      order: asc
`,
    imageUpdateAutomation: `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: flux-system
  namespace: prod
spec:
  interval: 10m
  sourceRef:
    kind: GitRepository
    name: flux-system
  git:
    checkout:
      ref:
        branch: master
    commit:
      author:
        name: fluxbot
        email: flux@example.org
    push:
      branch: master
  update:
    path: ./releases
    strategy: Setters
`,
    alert: `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: slack
  namespace: prod
spec:
  providerRef:
    name: slack
  eventSeverity: error
  eventSources:
    - kind: HelmRelease
      name: '*'
`,
    provider: `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: slack
  namespace: prod
spec:
  type: slack
  channel: alerts
  secretRef:
    name: slack-webhook
`,
    receiver: `apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata:
  name: github
  namespace: prod
spec:
  type: github
  events: [ping, push]
  secretRef:
    name: webhook-token
  resources:
    - kind: GitRepository
      name: flux-system
`,
  }

  it('takes valid Flux v2 HelmReleases, image automation and notification objects', () => {
    for (const [name, text] of Object.entries(fluxObjects)) expect(lintText(text), name).toEqual([])
  })

  it('reports a misplaced or misspelt field of each Flux v2 kind at its line', () => {
    // The classic: values keys one level off, beside spec.values instead of under it.
    expect(lintText(fluxObjects.helmRelease.replace('  values:\n    image:', '  values:\n  image:'))).toEqual([
      '20:3 spec.image: unknown field "image" in spec',
    ])
    expect(lintText(fluxObjects.helmRelease.replace('      retries: 3', '      retry: 3'))).toEqual([
      '18:7 spec.install.remediation.retry: unknown field "retry" in spec.install.remediation',
    ])
    expect(lintText(fluxObjects.helmReleaseV2beta2.replace('  interval: 10m', '  intervall: 10m'))).toEqual([
      '6:1 spec: missing required field "interval"',
      '7:3 spec.intervall: unknown field "intervall" in spec',
    ])
    expect(lintText(fluxObjects.imageRepository.replace('  interval: 5m', '  interval: 5m\n  ignoreMissingMetadata: true'))).toEqual([
      '9:3 spec.ignoreMissingMetadata: unknown field "ignoreMissingMetadata" in spec',
    ])
    expect(lintText(fluxObjects.imagePolicy.replace('      order: asc', '      order: ascending'))).toEqual([
      '14:7 spec.policy.numerical.order: must be one of "asc", "desc"',
    ])
    expect(lintText(fluxObjects.imageUpdateAutomation.replace('        email: flux@example.org', '      email: flux@example.org'))).toEqual([
      '16:7 spec.git.commit.author: missing required field "email"',
      '18:7 spec.git.commit.email: unknown field "email" in spec.git.commit',
    ])
    expect(lintText(fluxObjects.alert.replace('  eventSeverity: error', '  eventSeverity: critical'))).toEqual([
      '9:3 spec.eventSeverity: must be one of "info", "error"',
    ])
    expect(lintText(fluxObjects.provider.replace('  type: slack', '  type: Slack'))).toMatchObject([
      expect.stringMatching(/^7:3 spec\.type: must be one of "slack", /),
    ])
    expect(lintText(fluxObjects.receiver.replace('    - kind: GitRepository', '    - kind: GitRepo'))).toMatchObject([
      expect.stringMatching(/^12:7 spec\.resources\[0\]\.kind: must be one of /),
    ])
  })

  it('checks built-in fields against the enums the API server serves (from the +enum markers), which the published OpenAPI files lack', () => {
    const service =
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  type: Loadbalancer\n  ports:\n    - port: 80\n      protocol: tcp\n'
    expect(lintText(service)).toEqual([
      '7:3 spec.type: must be one of "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
      '10:7 spec.ports[0].protocol: must be one of "SCTP", "TCP", "UDP"',
    ])
    expect(lintText(service.replace('Loadbalancer', 'LoadBalancer').replace('tcp', 'TCP'))).toEqual([])
    const ingress =
      'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  rules:\n    - http:\n        paths:\n          - path: /\n            pathType: Prefixed\n            backend:\n              service: {name: web, port: {number: 80}}\n'
    expect(lintText(ingress)).toEqual(['11:13 spec.rules[0].http.paths[0].pathType: must be one of "Exact", "ImplementationSpecific", "Prefix"'])
    // An enum of array items: a PersistentVolumeClaim's access modes.
    const pvc =
      'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n  namespace: prod\nspec:\n  accessModes: [ReadWriteOnce, ReadWriteAll]\n  resources: {requests: {storage: 1Gi}}\n'
    expect(lintText(pvc)).toMatchObject([expect.stringMatching(/^7:32 spec\.accessModes\[1\]: must be one of .*"ReadWriteOnce"/)])
  })

  it("evaluates the CRDs' CEL rules (x-kubernetes-validations) as the API server does on create", () => {
    // helm-controller: "either chart or chartRef must be set", on spec.
    const both = fluxObjects.helmRelease.replace('  install:', '  chartRef:\n    kind: OCIRepository\n    name: journal\n  install:')
    expect(lintText(both)).toEqual(['6:1 spec: either chart or chartRef must be set'])
    const neither = fluxObjects.helmRelease.replace(/ {2}chart:\n(?: {4}.*\n)+/, '')
    expect(lintText(neither)).toEqual(['6:1 spec: either chart or chartRef must be set'])
    // On array items: remediation strategy retryInterval only with RetryOnFailure.
    expect(
      lintText(
        fluxObjects.helmRelease.replace(
          '      retries: 3',
          '      retries: 3\n  upgrade:\n    strategy:\n      name: RemediateOnFailure\n      retryInterval: 5m',
        ),
      ),
    ).toEqual(["20:5 spec.upgrade.strategy: .retryInterval can only be set when .name is 'RetryOnFailure'"])
    // notification-controller: commitStatusExpr only for git providers.
    expect(lintText(fluxObjects.provider.replace('  channel: alerts', '  channel: alerts\n  commitStatusExpr: "event.metadata.app"'))).toMatchObject([
      expect.stringMatching(/^6:1 spec: spec\.commitStatusExpr is only supported for the 'github', 'gitlab'/),
    ])
    // A CRD in the repository: its rules too; a rule without a message names the rule; a rule
    // cel-js cannot evaluate (a Kubernetes CEL library it lacks) and a transition rule are not judged.
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
              x-kubernetes-validations:
                - rule: self.min <= self.max
                - rule: quantity(self.size).isGreaterThan(quantity('1Gi'))
                  message: at least 1Gi
                - rule: self.min == oldSelf.min
                  message: min is immutable
              properties:
                min: {type: integer}
                max: {type: integer}
                size: {type: string}
                parts:
                  type: array
                  items:
                    type: object
                    x-kubernetes-validations: [{rule: "self.name != 'main'", message: "'main' is reserved"}]
                    properties: {name: {type: string}}
---
apiVersion: example.org/v1
kind: Widget
metadata: {name: w, namespace: prod}
spec:
  min: 3
  max: 2
  size: 1Mi
  parts: [{name: a}, {name: main}]
`
    expect(lintText(crd)).toEqual(['39:1 spec: failed rule: self.min <= self.max', "43:22 spec.parts[1]: 'main' is reserved"])
  })

  it("checks Kubernetes' byte format (base64, as Go decodes it) and built-in int32 ranges, as the API server's decoding does", () => {
    const secret = (data: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: prod\ndata:\n${data}`
    expect(lintText(secret('  token: aHVudGVyMg==\n  cert: |\n    aHVudGVy\n    Mg==\n  empty: ""\n'))).toEqual([])
    // Plain text where base64 belongs (stringData is the field for that): the value is never printed.
    expect(lintText(secret('  token: hunter2\n'))).toEqual(['7:3 data.token: must be base64 (format byte)'])
    expect(lintText(secret('  token: aHVudGVyMg\n'))).toEqual(['7:3 data.token: must be base64 (format byte)'])
    const deployment =
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  namespace: prod\nspec:\n  replicas: 3000000000\n  selector: {matchLabels: {app: d}}\n  template:\n    metadata: {labels: {app: d}}\n    spec:\n      containers: [{name: d, image: i}]\n'
    expect(lintText(deployment)).toEqual(['7:3 spec.replicas: must be <= 2147483647'])
    expect(lintText(deployment.replace('3000000000', '2147483647'))).toEqual([])
  })

  it('reports a kind its group does not have, and leaves kinds of groups it has no schema for alone', () => {
    expect(lintText('apiVersion: apps/v1\nkind: Deploymnet\nmetadata:\n  name: d\n  namespace: prod\n')).toEqual([
      '2:1 apps/v1 has no kind Deploymnet (in the schemas of Kubernetes v1.35.4, flagger v1.36.1, helm-operator v1.4.4, source-controller v1.8.0, kustomize-controller v1.7.3, helm-controller v1.4.3, sealed-secrets v0.40.0, prometheus-operator v0.85.0, image-reflector-controller v1.0.4, image-automation-controller v1.0.4, notification-controller v1.7.5)',
    ])
    expect(lintText('apiVersion: example.org/v1\nkind: Gadget\nmetadata:\n  name: s\n  namespace: prod\nspec: {whatever: 1}\n')).toEqual([])
  })
})

// The schema rule's int64, date-time and quantity checks: one message each, naming the field and
// never the value (test/integration/lint-dryrun.test.ts shows the API server's verdicts agree).

const pod = (meta: string, container = '') =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n${meta}spec:\n  terminationGracePeriodSeconds: 30\n  containers:\n    - name: c\n      image: nginx\n${container}`

const gadgetCrd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.org
spec:
  group: example.org
  names: {kind: Gadget, plural: gadgets}
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
              properties:
                since: {type: string, format: date-time}
                size: {type: integer, maximum: 10}
---
`

describe('the schema rule on formats', {timeout: 120_000}, () => {
  it('integers get int64 bounds unless the schema bounds them itself', () => {
    expect(convertSchema({type: 'integer', format: 'int64'})).toEqual({type: 'integer', ...int64Range})
    expect(convertSchema({type: 'integer', maximum: 10})).toEqual({type: 'integer', maximum: 10, minimum: int64Range.minimum})
    expect(convertSchema({type: 'string', format: 'uuid'})).toEqual({type: 'string'})
  })

  it('a built-in time: RFC 3339 as Go reads it, null allowed', () => {
    expect(lintText(pod('  creationTimestamp: null\n'))).toEqual([])
    expect(lintText(pod('  creationTimestamp: "2024-01-31T09:30:00Z"\n'))).toEqual([])
    for (const value of ['yesterday', '"2024-01-31t09:30:00z"', '"2024-02-30T09:30:00Z"']) {
      expect(lintText(pod(`  creationTimestamp: ${value}\n`)), value).toEqual([
        '5:3 metadata.creationTimestamp: must be a time as RFC 3339 writes it, such as 2024-01-31T09:30:00Z (a calendar day, T, a zone Z or +01:00)',
      ])
    }
  })

  it('a quantity: one message, not "must be number" besides', () => {
    const limits = (value: string) => pod('', `      resources:\n        limits:\n          memory: ${value}\n`)
    expect(lintText(limits('1.5Gi'))).toEqual([])
    expect(lintText(limits('12Gb'))).toEqual(['12:11 spec.containers[0].resources.limits.memory: must be a quantity, such as 512Mi, 1.5Gi, 250m or 1e3'])
  })

  it('an int64 beyond int64', () => {
    expect(lintText(pod('').replace('terminationGracePeriodSeconds: 30', 'terminationGracePeriodSeconds: 1e30'))).toEqual([
      '6:3 spec.terminationGracePeriodSeconds: must fit in a 64-bit integer (int64)',
    ])
  })

  it("a CRD in the repository: kube-openapi's date-time (t and z in either case), its own bounds kept", () => {
    const gadget = (spec: string) => `${gadgetCrd}apiVersion: example.org/v1\nkind: Gadget\nmetadata:\n  name: g\n  namespace: prod\nspec:\n${spec}`
    expect(lintText(gadget('  since: "2024-01-31t09:30:00z"\n  size: 3\n'))).toEqual([])
    expect(lintText(gadget('  since: "2024-01-31 09:30:00Z"\n  size: 11\n'))).toEqual([
      '29:3 spec.since: must be a time as RFC 3339 writes it, such as 2024-01-31T09:30:00Z (a calendar day, T, a zone Z or +01:00)',
      '30:3 spec.size: must be <= 10',
    ])
  })
})
