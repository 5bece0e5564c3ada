import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {bundledSchemas, lintRepository} from '../../src/lib/lint/lint.js'
import {upstreamCrdFiles, upstreamFluxHelmReleaseCrd, vendoredFluxCrdFiles} from '../helpers/upstream.js'
import {createNamespace, deleteNamespace, installHelmReleaseCrds, kubectl, repoRoot} from './helm-support.js'

// Issue 17: lint's schema verdict (valid/invalid) agrees with the local kube-apiserver's
// server-side dry run (`kubectl apply --dry-run=server`, strict field validation as kubectl's
// default) on single-edit manifests: built-in kinds, and custom resources whose CRDs are installed
// from the same pinned upstream versions lint bundles (Flagger v1.36.1, prometheus-operator
// v0.85.0, helm-controller v1.4.3, and the image-reflector, image-automation and notification
// controllers' CRDs committed under scripts/crds/). lint's verdict is that of the rules that say whether the API server would take the
// object (yaml-syntax, not-an-object, object-shape, schema, object-validation); its repository rules (references,
// Flagger gotchas...) are opinions the API server does not hold, so they are not asked.
//
// Where the two legitimately disagree, the case says why (`exception`) and the test asserts that
// very disagreement: admission sees what no manifest says (namespaces that exist). What the API
// server's validation code refuses beyond the schema (name formats, keys, selectors matching their
// pod templates) lint's object-validation rule ports, and the cases below hold it to the server.

let ns = ''
const scratch = mkdtempSync(path.join(tmpdir(), 'elife-k8s-lint-dryrun-'))

// The Flux v2 kinds these cases create (dry run), served once their CRDs are installed.
const fluxResources = [
  'helmreleases.helm.toolkit.fluxcd.io',
  'imagerepositories.image.toolkit.fluxcd.io',
  'imagepolicies.image.toolkit.fluxcd.io',
  'imageupdateautomations.image.toolkit.fluxcd.io',
  'alerts.notification.toolkit.fluxcd.io',
  'providers.notification.toolkit.fluxcd.io',
  'receivers.notification.toolkit.fluxcd.io',
]

beforeAll(async () => {
  const crds = await upstreamCrdFiles()
  for (const file of [crds.flagger, ...crds.prometheus, await upstreamFluxHelmReleaseCrd(), ...vendoredFluxCrdFiles()]) {
    const applied = await kubectl(['apply', '--server-side', '--force-conflicts', '-f', file])
    expect(applied.exitCode, applied.stderr).toBe(0)
  }
  for (const crd of ['canaries.flagger.app', 'metrictemplates.flagger.app', 'prometheusrules.monitoring.coreos.com', ...fluxResources]) {
    expect((await kubectl(['wait', '--for=condition=Established', `crd/${crd}`, '--timeout=60s'])).exitCode).toBe(0)
  }
  // An updated CRD's storage re-initializes after Established (429 meanwhile).
  for (const resource of fluxResources) {
    for (let attempt = 0; ; attempt++) {
      const listed = await kubectl(['get', resource, '-A', '-o', 'name'])
      if (listed.exitCode === 0) break
      if (attempt >= 60) throw new Error(`${resource} is not served: ${listed.stderr}`)
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }
  ns = await createNamespace('lint-dryrun')
})

afterAll(async () => {
  rmSync(scratch, {recursive: true, force: true})
  if (ns) await deleteNamespace(ns)
  // Cluster-wide: left installed they change what other files' charts render (as doctor's test says).
  const crds = await upstreamCrdFiles()
  for (const file of [crds.flagger, ...crds.prometheus, ...vendoredFluxCrdFiles()]) await kubectl(['delete', '--ignore-not-found', '--wait=true', '-f', file])
  // The cluster's seeded Flux v2 HelmReleases live under the HelmRelease CRD: put back the test
  // fixtures' open version whole (replace, not delete, which would delete them too).
  const restored = await kubectl(['replace', '-f', path.join(repoRoot, 'test/fixtures/crds/helm.toolkit.fluxcd.io_helmreleases.yaml')])
  expect(restored.exitCode, restored.stderr).toBe(0)
  await installHelmReleaseCrds()
})

type Verdict = 'valid' | 'invalid'

/** A CronJob with the given schedule (a YAML scalar) and spec lines. */
const cronJob = (schedule: string, extra = '') =>
  `apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: tick\n  namespace: NS\nspec:\n  schedule: ${schedule}\n${extra}  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n            - name: tick\n              image: busybox:1.36\n`

/** A CRD of group lint.elifesciences.org whose plural is widgets, named as given. */
const crd = (name: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${name}
spec:
  group: lint.elifesciences.org
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
`

interface Case {
  name: string
  /** The manifest; NS is replaced by the test's namespace. */
  yaml: string
  /** What the API server says. */
  api: Verdict
  /** Set when lint legitimately says otherwise: why. */
  exception?: string
}

const deployment = (spec: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: NS
spec:
${spec}`

const goodDeploymentSpec = `  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - containerPort: 8080
`

const canary = (analysis: string, extra = '') => `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: web
  namespace: NS
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
${extra}  service:
    port: 80
  analysis:
${analysis}`

const goodAnalysis = `    interval: 1m
    threshold: 5
    maxWeight: 50
    stepWeight: 10
`

const rule = (body: string) => `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: alerts
  namespace: NS
spec:
  groups:
${body}`

const helmRelease = (spec: string, apiVersion = 'helm.toolkit.fluxcd.io/v2') => `apiVersion: ${apiVersion}
kind: HelmRelease
metadata:
  name: journal
  namespace: NS
spec:
${spec}`

const goodHelmReleaseSpec = `  interval: 10m
  chart:
    spec:
      chart: journal
      version: 1.2.x
      sourceRef:
        kind: HelmRepository
        name: elife
        namespace: flux-system
  values:
    image:
      tag: 4e3d2c1
`

const imagePolicy = (policy: string) => `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: journal
  namespace: NS
spec:
  imageRepositoryRef:
    name: journal
  policy:
${policy}`

const alert = (severity: string) => `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: slack
  namespace: NS
spec:
  providerRef:
    name: slack
  eventSeverity: ${severity}
  eventSources:
    - kind: HelmRelease
      name: '*'
`

// ---- Formats: int64, date-time (metav1.Time) and quantities (helper lintcluster) ----
// What the API server refuses that a JSON Schema type alone lets through, found with
// `kubectl apply --dry-run=server`: a built-in int64 given a number beyond int64 (Go's JSON decoder
// refuses it; 1e30 is an integer to JSON Schema), a custom resource's integer beyond int64 (the
// API server decodes custom resources' numbers as int64 or float64, and a float64 is "must be of
// type integer"), a metav1.Time (creationTimestamp and every other built-in date-time) that Go's
// time.Parse(RFC3339) refuses (the API server answers "cannot be handled as a Pod: parsing time";
// kubectl's own decoding refuses it first with the same words), and a resource quantity that
// resource.ParseQuantity refuses. `creationTimestamp: null`, which `kubectl create --dry-run=client
// -o yaml` writes into every manifest, is taken by the API server (metav1.Time reads null as no time).
const pod = (spec: string, meta = '') => `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: NS
${meta}spec:
${spec}  containers:
    - name: c
      image: nginx:1.27
`
const withCreated = (value: string) => pod('', `  creationTimestamp: ${value}\n`)
const withMemory = (value: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: NS\nspec:\n  containers:\n    - name: c\n      image: nginx:1.27\n      resources:\n        limits:\n          memory: ${value}\n`
const serviceMonitor = (sampleLimit: string) => `apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: web
  namespace: NS
spec:
  selector:
    matchLabels:
      app: web
  endpoints:
    - port: http
  sampleLimit: ${sampleLimit}
`

const formatCases: Case[] = [
  {name: 'a Pod int64 (terminationGracePeriodSeconds) at the largest int64', api: 'valid', yaml: pod('  terminationGracePeriodSeconds: 9223372036854775807\n')},
  {name: 'a Pod int64 (terminationGracePeriodSeconds) given 1e30', api: 'invalid', yaml: pod('  terminationGracePeriodSeconds: 1e30\n')},
  {name: 'a Pod int64 (activeDeadlineSeconds) given -1e19', api: 'invalid', yaml: pod('  activeDeadlineSeconds: -1e19\n')},
  {
    name: 'a Pod int64 given 9223372036854775808 (2^63)',
    api: 'invalid',
    yaml: pod('  terminationGracePeriodSeconds: 9223372036854775808\n'),
    exception:
      'lint reads YAML numbers as JavaScript numbers (doubles), in which 9223372036854775808 and the largest int64, 9223372036854775807, are the same number: lint takes both rather than refuse the valid one',
  },
  {name: 'a ServiceMonitor integer (sampleLimit) at the largest int64', api: 'valid', yaml: serviceMonitor('9223372036854775807')},
  {name: 'a ServiceMonitor integer (sampleLimit) given 1e30', api: 'invalid', yaml: serviceMonitor('1e30')},
  {name: 'a creationTimestamp in RFC 3339 with fraction and offset', api: 'valid', yaml: withCreated('"2024-01-01T00:00:00.123+02:00"')},
  {name: 'a creationTimestamp: null, as kubectl create -o yaml writes it', api: 'valid', yaml: withCreated('null')},
  {name: 'a creationTimestamp "yesterday"', api: 'invalid', yaml: withCreated('yesterday')},
  {name: 'a creationTimestamp on 30 February', api: 'invalid', yaml: withCreated('"2024-02-30T00:00:00Z"')},
  {name: 'a creationTimestamp with a space for T', api: 'invalid', yaml: withCreated('"2024-01-01 00:00:00Z"')},
  {name: 'a creationTimestamp without a time zone', api: 'invalid', yaml: withCreated('"2024-01-01T00:00:00"')},
  {name: 'a creationTimestamp with an offset without colon', api: 'invalid', yaml: withCreated('"2024-01-01T00:00:00+0200"')},
  {name: 'a creationTimestamp on a leap second', api: 'invalid', yaml: withCreated('"2024-12-31T23:59:60Z"')},
  {name: 'a memory limit of 1.5Gi', api: 'valid', yaml: withMemory('1.5Gi')},
  {name: 'a memory limit of 1e3 as a string', api: 'valid', yaml: withMemory('"1e3"')},
  {name: 'a memory limit of "12 gigs"', api: 'invalid', yaml: withMemory('12 gigs')},
  {name: 'a memory limit of 12Gb', api: 'invalid', yaml: withMemory('12Gb')},
]
// ---- end of the formats block ----

// Nulls: an empty `annotations:`, `resources:` or `env:` (common in rendered charts) is null in
// YAML; the API server decodes it into the zero value (built-in kinds) or prunes it (custom
// resources), so it is as if absent, and a required field given null is missing.
const nullCases: Case[] = [
  {
    name: 'a ConfigMap with empty annotations, labels and data',
    api: 'valid',
    yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: NS\n  annotations:\n  labels:\ndata:\n',
  },
  {
    name: 'a Deployment with empty pod annotations, resources and env',
    api: 'valid',
    yaml: deployment(
      goodDeploymentSpec
        .replace('        app: web\n    spec:', '        app: web\n      annotations:\n    spec:')
        .replace('          image: nginx:1.27\n', '          image: nginx:1.27\n          resources:\n          env:\n'),
    ),
  },
  {
    name: 'a Deployment with selector: null (required)',
    api: 'invalid',
    yaml: deployment(goodDeploymentSpec.replace('  selector:\n    matchLabels:\n      app: web\n', '  selector:\n')),
  },
  {name: 'a Canary with an empty analysis field (webhooks:)', api: 'valid', yaml: canary(`${goodAnalysis}    webhooks:\n`)},
]
// ---- end of the nulls block ----

// Probes and environment variable names (object-validation; validateProbe, validateHandler,
// ValidateEnv with the relaxed names of 1.35), and a quantity with spaces, which the server trims.
const podWith = (container: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: NS\nspec:\n  containers:\n    - name: c\n      image: nginx:1.27\n${container}`
const probeCases: Case[] = [
  {
    name: 'a livenessProbe with two handlers',
    api: 'invalid',
    yaml: podWith('      livenessProbe:\n        httpGet:\n          port: 80\n        tcpSocket:\n          port: 80\n'),
  },
  {name: 'a readinessProbe without a handler', api: 'invalid', yaml: podWith('      readinessProbe:\n        periodSeconds: 5\n')},
  {
    name: 'a livenessProbe with successThreshold 2',
    api: 'invalid',
    yaml: podWith('      livenessProbe:\n        successThreshold: 2\n        tcpSocket:\n          port: 80\n'),
  },
  {
    name: 'a readinessProbe with successThreshold 2',
    api: 'valid',
    yaml: podWith('      readinessProbe:\n        successThreshold: 2\n        tcpSocket:\n          port: 80\n'),
  },
  {
    name: 'a startupProbe with a negative periodSeconds',
    api: 'invalid',
    yaml: podWith('      startupProbe:\n        periodSeconds: -1\n        grpc:\n          port: 9000\n'),
  },
  {name: 'an env name with "="', api: 'invalid', yaml: podWith('      env:\n        - name: A=B\n          value: x\n')},
  {name: 'an env name with a space (relaxed names)', api: 'valid', yaml: podWith('      env:\n        - name: MY VAR\n          value: x\n')},
  {name: 'an envFrom prefix with "="', api: 'invalid', yaml: podWith('      envFrom:\n        - prefix: "A="\n          configMapRef:\n            name: c\n')},
  {name: 'a memory limit with spaces around it', api: 'valid', yaml: podWith("      resources:\n        limits:\n          memory: ' 1Gi '\n")},
  {name: 'a preStop hook without a handler', api: 'invalid', yaml: podWith('      lifecycle:\n        preStop: {}\n')},
  {
    name: 'a postStart hook with two handlers',
    api: 'invalid',
    yaml: podWith('      lifecycle:\n        postStart:\n          exec:\n            command: [echo]\n          sleep:\n            seconds: 1\n'),
  },
  {name: 'a preStop sleep hook', api: 'valid', yaml: podWith('      lifecycle:\n        preStop:\n          sleep:\n            seconds: 1\n')},
  {
    name: 'a volume with two volume types',
    api: 'invalid',
    yaml: pod('  volumes:\n    - name: data\n      emptyDir: {}\n      configMap:\n        name: c\n'),
  },
  {name: 'a volume with no volume type (an emptyDir)', api: 'valid', yaml: pod('  volumes:\n    - name: data\n')},
]
// ---- end of the probes block ----

// Helpers of the object-validation cases below.
const configMap = (name: string, body = '', metadata = '') => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: NS
${metadata}${body}`

const service = (name: string, ports: string) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: NS
spec:
  ports:
${ports}`

const statefulSet = (name: string, selectorLabel: string) => `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: ${name}
  namespace: NS
spec:
  serviceName: web
  selector:
    matchLabels:
      ${selectorLabel}
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
`

const ingress = (host: string, path: string, pathType: string, service = 'web', port = 'number: 80', tls = '') => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: NS
spec:
${tls}  rules:
    - host: "${host}"
      http:
        paths:
          - path: "${path}"
            pathType: ${pathType}
            backend:
              service:
                name: ${service}
                port:
                  ${port}
`

const job = (selector: string) => `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: NS
spec:
${selector}  template:
    metadata:
      labels:
        app: migrate
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: busybox:1.36
`

const cases: Case[] = [
  // Valid objects, built-in and custom.
  {name: 'a ConfigMap', api: 'valid', yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: NS\ndata:\n  a: "1"\n'},
  {name: 'a Deployment', api: 'valid', yaml: deployment(goodDeploymentSpec)},
  {
    name: 'a Service',
    api: 'valid',
    yaml: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: NS\nspec:\n  selector:\n    app: web\n  ports:\n    - name: http\n      port: 80\n      targetPort: http\n',
  },
  {
    name: 'an Ingress',
    api: 'valid',
    yaml: 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: NS\nspec:\n  rules:\n    - host: web.example.org\n      http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend:\n              service:\n                name: web\n                port:\n                  number: 80\n',
  },
  {
    name: 'a CronJob',
    api: 'valid',
    yaml: 'apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: tick\n  namespace: NS\nspec:\n  schedule: "*/5 * * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n            - name: tick\n              image: busybox:1.36\n',
  },
  {name: 'a Canary', api: 'valid', yaml: canary(goodAnalysis)},
  {
    name: 'a MetricTemplate',
    api: 'valid',
    yaml: 'apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata:\n  name: rate\n  namespace: NS\nspec:\n  provider:\n    type: prometheus\n    address: http://prometheus.adm:9090\n  query: sum(rate(x[{{ interval }}]))\n',
  },
  {name: 'a PrometheusRule', api: 'valid', yaml: rule('    - name: g\n      rules:\n        - alert: Down\n          expr: up == 0\n          for: 5m\n')},

  {name: 'a Flux v2 HelmRelease', api: 'valid', yaml: helmRelease(goodHelmReleaseSpec)},
  {name: 'a Flux v2 HelmRelease at v2beta2', api: 'valid', yaml: helmRelease(goodHelmReleaseSpec, 'helm.toolkit.fluxcd.io/v2beta2')},
  {
    name: 'an ImageRepository',
    api: 'valid',
    yaml: 'apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: journal\n  namespace: NS\nspec:\n  image: ghcr.io/elifesciences/journal\n  interval: 5m\n',
  },
  {name: 'an ImagePolicy', api: 'valid', yaml: imagePolicy('    semver:\n      range: ">=1.0.0"\n')},
  {
    name: 'an ImageUpdateAutomation',
    api: 'valid',
    yaml: 'apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\nmetadata:\n  name: flux-system\n  namespace: NS\nspec:\n  interval: 10m\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  git:\n    commit:\n      author:\n        name: fluxbot\n        email: flux@example.org\n  update:\n    path: ./releases\n    strategy: Setters\n',
  },
  {name: 'a Flux v2 Alert', api: 'valid', yaml: alert('error')},
  {
    name: 'a Flux v2 Receiver',
    api: 'valid',
    yaml: 'apiVersion: notification.toolkit.fluxcd.io/v1\nkind: Receiver\nmetadata:\n  name: github\n  namespace: NS\nspec:\n  type: github\n  secretRef:\n    name: webhook-token\n  resources:\n    - kind: GitRepository\n      name: flux-system\n',
  },

  // Unknown fields.
  {name: 'a Deployment field misspelt (replica)', api: 'invalid', yaml: deployment(goodDeploymentSpec.replace('  replicas: 2', '  replica: 2'))},
  {
    name: 'a container field one level off (image under the pod spec)',
    api: 'invalid',
    yaml: deployment(goodDeploymentSpec.replace('    spec:\n      containers:', '    spec:\n      image: nginx\n      containers:')),
  },
  {name: 'a Canary analysis field misspelt (stepWeigth)', api: 'invalid', yaml: canary(`${goodAnalysis}    stepWeigth: 5\n`)},
  {
    name: 'a PrometheusRule rule field misspelt (expression)',
    api: 'invalid',
    yaml: rule('    - name: g\n      rules:\n        - alert: Down\n          expression: up == 0\n'),
  },

  {
    name: 'HelmRelease values one level off (image beside values)',
    api: 'invalid',
    yaml: helmRelease(goodHelmReleaseSpec.replace('  values:\n    image:', '  values:\n  image:')),
  },
  {
    name: 'an ImageUpdateAutomation commit email one level off',
    api: 'invalid',
    yaml: 'apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\nmetadata:\n  name: flux-system\n  namespace: NS\nspec:\n  interval: 10m\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  git:\n    commit:\n      author:\n        name: fluxbot\n      email: flux@example.org\n',
  },

  // Wrong types.
  {name: 'Deployment replicas as a word', api: 'invalid', yaml: deployment(goodDeploymentSpec.replace('  replicas: 2', '  replicas: two'))},
  {
    name: 'a Service port as a string',
    api: 'invalid',
    yaml: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: NS\nspec:\n  ports:\n    - port: eighty\n',
  },
  {name: 'a ConfigMap value as a map', api: 'invalid', yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: NS\ndata:\n  a:\n    b: c\n'},
  {name: 'a Canary threshold as a word', api: 'invalid', yaml: canary(goodAnalysis.replace('threshold: 5', 'threshold: five'))},
  {name: 'a PrometheusRule expr as a list', api: 'invalid', yaml: rule('    - name: g\n      rules:\n        - alert: Down\n          expr: [up, 0]\n')},

  // Missing required fields.
  {name: 'a Deployment without selector', api: 'invalid', yaml: deployment(goodDeploymentSpec.replace('  selector:\n    matchLabels:\n      app: web\n', ''))},
  {name: 'a container without name', api: 'invalid', yaml: deployment(goodDeploymentSpec.replace('        - name: web\n          image', '        - image'))},
  {
    name: 'a Canary without targetRef',
    api: 'invalid',
    yaml: canary(goodAnalysis).replace('  targetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n', ''),
  },
  {
    name: 'a MetricTemplate without query',
    api: 'invalid',
    yaml: 'apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata:\n  name: rate\n  namespace: NS\nspec:\n  provider:\n    type: prometheus\n',
  },

  // Values outside an enum.
  {name: 'a Canary targetRef kind outside the enum', api: 'invalid', yaml: canary(goodAnalysis).replace('    kind: Deployment\n', '    kind: StatefulSet\n')},
  {
    name: 'a MetricTemplate provider type outside the enum',
    api: 'invalid',
    yaml: 'apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata:\n  name: rate\n  namespace: NS\nspec:\n  provider:\n    type: prometheus2\n  query: sum(rate(x[1m]))\n',
  },
  {name: 'an ImagePolicy numerical order outside the enum', api: 'invalid', yaml: imagePolicy('    numerical:\n      order: ascending\n')},
  {name: 'a Flux v2 Alert eventSeverity outside the enum', api: 'invalid', yaml: alert('critical')},
  {
    name: 'a Flux v2 HelmRelease without spec.interval',
    api: 'invalid',
    yaml: helmRelease(goodHelmReleaseSpec.replace('  interval: 10m\n', ''), 'helm.toolkit.fluxcd.io/v2beta2'),
  },
  // Built-in enums: the published OpenAPI files lack them; lint takes them from the +enum markers
  // the API server serves (scripts/lint-schemas.ts).
  {
    name: 'a container port protocol in lower case',
    api: 'invalid',
    yaml: deployment(goodDeploymentSpec.replace('            - containerPort: 8080\n', '            - containerPort: 8080\n              protocol: tcp\n')),
  },
  {
    name: 'an Ingress pathType outside the enum',
    api: 'invalid',
    yaml: 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: NS\nspec:\n  rules:\n    - http:\n        paths:\n          - path: /\n            pathType: Prefixed\n            backend:\n              service:\n                name: web\n                port:\n                  number: 80\n',
  },
  {
    name: 'a Service type outside the enum',
    api: 'invalid',
    yaml: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: NS\nspec:\n  type: Loadbalancer\n  ports:\n    - port: 80\n',
  },

  // CEL rules (x-kubernetes-validations) of helm-controller's CRD, evaluated by lint with cel-js.
  {
    name: 'a Flux v2 HelmRelease with both chart and chartRef (CEL)',
    api: 'invalid',
    yaml: helmRelease(`${goodHelmReleaseSpec}  chartRef:\n    kind: OCIRepository\n    name: journal\n`),
  },
  {
    name: 'a Flux v2 HelmRelease with neither chart nor chartRef (CEL)',
    api: 'invalid',
    yaml: helmRelease('  interval: 10m\n  values:\n    replicaCount: 2\n'),
  },
  {
    name: 'a Flux v2 HelmRelease retryInterval with RemediateOnFailure (CEL)',
    api: 'invalid',
    yaml: helmRelease(`${goodHelmReleaseSpec}  upgrade:\n    strategy:\n      name: RemediateOnFailure\n      retryInterval: 5m\n`),
  },
  {
    name: 'a Flux v2 HelmRelease with chartRef alone (CEL)',
    api: 'valid',
    yaml: helmRelease('  interval: 10m\n  chartRef:\n    kind: OCIRepository\n    name: journal\n'),
  },

  // Formats: Kubernetes' byte (base64) and built-in int32s, which the API server's decoding refuses.
  {
    name: 'a Secret with base64 data',
    api: 'valid',
    yaml: 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: NS\ndata:\n  token: aHVudGVyMg==\n',
  },
  {
    name: 'a Secret with plain text in data',
    api: 'invalid',
    yaml: 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: NS\ndata:\n  token: hunter2\n',
  },
  {name: 'Deployment replicas beyond int32', api: 'invalid', yaml: deployment(goodDeploymentSpec.replace('  replicas: 2', '  replicas: 3000000000'))},
  // int64, date-time and quantities: the formats block above.
  ...formatCases,
  ...nullCases,
  ...probeCases,

  // Rule object-validation: what the API server's validation code refuses beyond the OpenAPI
  // schema (src/lib/rules/object-validation.ts, ported from k8s.io/kubernetes@v1.35.4 and
  // k8s.io/apimachinery@v0.35.4). The first four were documented disagreements before that rule.
  {name: 'a name with capitals', api: 'invalid', yaml: configMap('Web-Config')},
  {name: 'a ConfigMap key with spaces', api: 'invalid', yaml: configMap('c', 'data:\n  "not a key": x\n')},
  {
    name: 'a Deployment whose selector does not match its pod labels',
    api: 'invalid',
    yaml: deployment(goodDeploymentSpec.replace('    matchLabels:\n      app: web\n', '    matchLabels:\n      app: api\n')),
  },
  {name: 'a container without image', api: 'invalid', yaml: deployment(goodDeploymentSpec.replace('          image: nginx:1.27\n', ''))},
  // metadata.name, per kind's name validator.
  {name: 'a ConfigMap name with dots (DNS-1123 subdomain)', api: 'valid', yaml: configMap('web.config-1')},
  {name: 'a ConfigMap name ending in a dash', api: 'invalid', yaml: configMap('web-')},
  {name: 'a Namespace name with dots (DNS-1123 label)', api: 'invalid', yaml: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team.one\n'},
  {name: 'a Service name with dots (DNS-1035 label)', api: 'invalid', yaml: service('web.api', '    - port: 80\n')},
  {name: 'a Service name starting with a digit (DNS-1035 label)', api: 'invalid', yaml: service('1web', '    - port: 80\n')},
  {name: 'a StatefulSet name with dots (DNS-1123 label)', api: 'invalid', yaml: statefulSet('web.one', 'app: web')},
  {
    name: 'a ClusterRole name with colons (path segment)',
    api: 'valid',
    yaml: 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: "elife:journal:Reader"\nrules: []\n',
  },
  {
    name: 'a CronJob name longer than 52 characters',
    api: 'invalid',
    yaml: `apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: ${'a'.repeat(53)}\n  namespace: NS\nspec:\n  schedule: "*/5 * * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n            - name: tick\n              image: busybox:1.36\n`,
  },
  // CronJob schedules: robfig/cron's standard parser, as the API server runs it.
  {name: 'a CronJob schedule on weekdays by name (0 9 * * mon-fri)', api: 'valid', yaml: cronJob('"0 9 * * mon-fri"')},
  {name: 'a CronJob schedule @every 1h30m', api: 'valid', yaml: cronJob('"@every 1h30m"')},
  {name: 'a CronJob schedule with an empty list item (1,,2 * * * *)', api: 'valid', yaml: cronJob('"1,,2 * * * *"')},
  {name: 'a CronJob schedule of four fields', api: 'invalid', yaml: cronJob('"*/5 * * *"')},
  {name: 'a CronJob schedule with seconds (six fields)', api: 'invalid', yaml: cronJob('"0 */5 * * * *"')},
  {name: 'a CronJob schedule on day of week 7', api: 'invalid', yaml: cronJob('"0 0 * * 7"')},
  {name: 'a CronJob schedule at minute 60', api: 'invalid', yaml: cronJob('"60 * * * *"')},
  {name: 'a CronJob schedule @every 1d (no such unit)', api: 'invalid', yaml: cronJob('"@every 1d"')},
  {name: 'a CronJob schedule with CRON_TZ', api: 'invalid', yaml: cronJob('"CRON_TZ=UTC 0 0 * * *"')},
  {name: 'a CronJob with a negative successfulJobsHistoryLimit', api: 'invalid', yaml: cronJob('"@daily"', '  successfulJobsHistoryLimit: -1\n')},
  {
    name: 'a CronJob whose job template has a selector',
    api: 'invalid',
    yaml: cronJob('"@daily"').replace(
      '    spec:\n      template:\n',
      '    spec:\n      selector:\n        matchLabels:\n          app: tick\n      template:\n',
    ),
  },
  {name: 'a CustomResourceDefinition named <plural>.<group>', api: 'valid', yaml: crd('widgets.lint.elifesciences.org')},
  {name: 'a CustomResourceDefinition named other than <plural>.<group>', api: 'invalid', yaml: crd('widget.lint.elifesciences.org')},
  {
    name: 'a custom resource (PrometheusRule) named with capitals',
    api: 'invalid',
    yaml: rule('    - name: g\n      rules:\n        - alert: Down\n          expr: up == 0\n').replace('  name: alerts\n', '  name: Alerts\n'),
  },
  {
    name: 'a PodDisruptionBudget name with capitals (only path segment rules)',
    api: 'valid',
    yaml: 'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: Web_Pdb\n  namespace: NS\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app: web\n',
  },
  {
    name: 'a PodDisruptionBudget name with a slash (client-go refuses it first)',
    api: 'invalid',
    yaml: 'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web/pdb\n  namespace: NS\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app: web\n',
  },
  // Labels and annotations.
  {name: 'a label value with a space', api: 'invalid', yaml: configMap('c', '', '  labels:\n    app: web app\n')},
  {name: 'a label key with two slashes', api: 'invalid', yaml: configMap('c', '', '  labels:\n    example.org/a/b: x\n')},
  {name: 'an annotation key with a space', api: 'invalid', yaml: configMap('c', '', '  annotations:\n    my note: x\n')},
  {
    name: 'an annotation key in capitals with a prefix',
    api: 'valid',
    yaml: configMap('c', '', '  annotations:\n    Example.ORG/Note: "any text, spaces too"\n'),
  },
  {
    name: 'a pod template label value with a space',
    api: 'invalid',
    yaml: deployment(goodDeploymentSpec.replace('        app: web\n', '        app: web\n        tier: front end\n')),
  },
  // ConfigMap and Secret keys.
  {name: 'a ConfigMap key with dots, dashes and underscores', api: 'valid', yaml: configMap('c', 'data:\n  app.config_file-1.json: "{}"\n')},
  {name: 'a ConfigMap key starting with ..', api: 'invalid', yaml: configMap('c', 'data:\n  ..data: x\n')},
  {name: 'a ConfigMap key in both data and binaryData', api: 'invalid', yaml: configMap('c', 'data:\n  a: x\nbinaryData:\n  a: eA==\n')},
  {
    name: 'a Secret stringData key with a slash',
    api: 'invalid',
    yaml: 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: NS\nstringData:\n  config/app.yaml: "x: 1"\n',
  },
  {
    name: 'a TLS Secret without tls.key',
    api: 'invalid',
    yaml: 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\n  namespace: NS\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: "x"\n',
  },
  {
    name: 'a TLS Secret with both keys in stringData',
    api: 'valid',
    yaml: 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\n  namespace: NS\ntype: kubernetes.io/tls\nstringData:\n  tls.crt: "x"\n  tls.key: "y"\n',
  },
  {
    name: 'a basic-auth Secret with neither username nor password',
    api: 'invalid',
    yaml: 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: auth\n  namespace: NS\ntype: kubernetes.io/basic-auth\nstringData:\n  user: "x"\n',
  },
  // Workload selectors (LabelSelectorAsSelector semantics).
  {
    name: 'a Deployment with an empty selector',
    api: 'invalid',
    yaml: deployment(goodDeploymentSpec.replace('  selector:\n    matchLabels:\n      app: web\n', '  selector: {}\n')),
  },
  {
    name: 'a Deployment selector with matchExpressions that match',
    api: 'valid',
    yaml: deployment(
      goodDeploymentSpec.replace(
        '    matchLabels:\n      app: web\n',
        '    matchExpressions:\n      - key: app\n        operator: In\n        values: [web, api]\n      - key: canary\n        operator: DoesNotExist\n      - key: tier\n        operator: NotIn\n        values: [db]\n',
      ),
    ),
  },
  {
    name: 'a Deployment selector with matchExpressions that do not match',
    api: 'invalid',
    yaml: deployment(
      goodDeploymentSpec.replace(
        '    matchLabels:\n      app: web\n',
        '    matchExpressions:\n      - key: app\n        operator: NotIn\n        values: [web]\n',
      ),
    ),
  },
  {
    name: 'a Deployment selector In without values',
    api: 'invalid',
    yaml: deployment(
      goodDeploymentSpec.replace('    matchLabels:\n      app: web\n', '    matchExpressions:\n      - key: app\n        operator: In\n        values: []\n'),
    ),
  },
  {name: 'a StatefulSet whose selector does not match its pod labels', api: 'invalid', yaml: statefulSet('web', 'app: api')},
  {
    name: 'a DaemonSet whose selector does not match its pod labels',
    api: 'invalid',
    yaml: deployment(goodDeploymentSpec.replace('  replicas: 2\n', '').replace('      app: web\n  template', '      app: agent\n  template')).replace(
      'kind: Deployment',
      'kind: DaemonSet',
    ),
  },
  {name: 'a Job with a selector but no manualSelector', api: 'invalid', yaml: job('  selector:\n    matchLabels:\n      app: migrate\n')},
  {
    name: 'a Job selecting the generated controller-uid label (Exists)',
    api: 'valid',
    yaml: job('  selector:\n    matchExpressions:\n      - key: batch.kubernetes.io/controller-uid\n        operator: Exists\n'),
  },
  {
    name: 'a Job with manualSelector and a matching selector',
    api: 'valid',
    yaml: job('  manualSelector: true\n  selector:\n    matchLabels:\n      app: migrate\n'),
  },
  {
    name: 'a Job with manualSelector and a selector that does not match',
    api: 'invalid',
    yaml: job('  manualSelector: true\n  selector:\n    matchLabels:\n      app: other\n'),
  },
  // Ingresses.
  {name: 'an Ingress host in capitals', api: 'invalid', yaml: ingress('Web.example.org', '/', 'Prefix')},
  {name: 'an Ingress host that is an IP address', api: 'invalid', yaml: ingress('10.0.0.1', '/', 'Prefix')},
  {
    name: 'an Ingress with a wildcard host and TLS host',
    api: 'valid',
    yaml: ingress('*.example.org', '/', 'Prefix', 'web', 'number: 80', '  tls:\n    - hosts: ["*.example.org"]\n      secretName: web-tls\n'),
  },
  {
    name: 'an Ingress TLS host with an underscore',
    api: 'invalid',
    yaml: ingress('web.example.org', '/', 'Prefix', 'web', 'number: 80', '  tls:\n    - hosts: ["web_example.org"]\n'),
  },
  {name: 'an Ingress Prefix path without the leading slash', api: 'invalid', yaml: ingress('web.example.org', 'api', 'Prefix')},
  {name: 'an Ingress ImplementationSpecific regex path', api: 'valid', yaml: ingress('web.example.org', '/api(/|$)(.*)', 'ImplementationSpecific')},
  {name: 'an Ingress backend Service name with dots', api: 'invalid', yaml: ingress('web.example.org', '/', 'Prefix', 'web.api')},
  {name: 'an Ingress backend port name in capitals', api: 'invalid', yaml: ingress('web.example.org', '/', 'Prefix', 'web', 'name: HTTP')},
  // Containers and ports.
  {name: 'a container name with capitals', api: 'invalid', yaml: deployment(goodDeploymentSpec.replace('        - name: web\n', '        - name: Web\n'))},
  {
    name: 'an init container with the name of a container',
    api: 'invalid',
    yaml: deployment(
      goodDeploymentSpec.replace('      containers:\n', '      initContainers:\n        - name: web\n          image: busybox:1.36\n      containers:\n'),
    ),
  },
  {
    name: 'a container port name longer than 15 characters',
    api: 'invalid',
    yaml: deployment(
      goodDeploymentSpec.replace('            - containerPort: 8080\n', '            - containerPort: 8080\n              name: http-web-server-1\n'),
    ),
  },
  // Volumes and volumeMounts.
  {
    name: 'a volumeMount of a volume the pod has',
    api: 'valid',
    yaml: deployment(
      goodDeploymentSpec
        .replace(
          '            - containerPort: 8080\n',
          '            - containerPort: 8080\n          volumeMounts:\n            - name: config\n              mountPath: /etc/web\n',
        )
        .replace('      containers:\n', '      volumes:\n        - name: config\n          configMap:\n            name: web-config\n      containers:\n'),
    ),
  },
  {
    name: 'a volumeMount of a volume the pod does not have',
    api: 'invalid',
    yaml: deployment(
      goodDeploymentSpec
        .replace(
          '            - containerPort: 8080\n',
          '            - containerPort: 8080\n          volumeMounts:\n            - name: settings\n              mountPath: /etc/web\n',
        )
        .replace('      containers:\n', '      volumes:\n        - name: config\n          configMap:\n            name: web-config\n      containers:\n'),
    ),
  },
  {
    name: 'two volumeMounts at the same mountPath',
    api: 'invalid',
    yaml: deployment(
      goodDeploymentSpec
        .replace(
          '            - containerPort: 8080\n',
          '            - containerPort: 8080\n          volumeMounts:\n            - name: config\n              mountPath: /etc/web\n            - name: config\n              mountPath: /etc/web\n',
        )
        .replace('      containers:\n', '      volumes:\n        - name: config\n          configMap:\n            name: web-config\n      containers:\n'),
    ),
  },
  {
    name: 'two volumes with the same name',
    api: 'invalid',
    yaml: deployment(
      goodDeploymentSpec
        .replace(
          '            - containerPort: 8080\n',
          '            - containerPort: 8080\n          volumeMounts:\n            - name: config\n              mountPath: /etc/web\n',
        )
        .replace(
          '      containers:\n',
          '      volumes:\n        - name: config\n          configMap:\n            name: web-config\n        - name: config\n          configMap:\n            name: web-config\n      containers:\n',
        ),
    ),
  },
  {
    name: 'a volume name with capitals',
    api: 'invalid',
    yaml: deployment(
      goodDeploymentSpec
        .replace(
          '            - containerPort: 8080\n',
          '            - containerPort: 8080\n          volumeMounts:\n            - name: Config\n              mountPath: /etc/web\n',
        )
        .replace('      containers:\n', '      volumes:\n        - name: Config\n          configMap:\n            name: web-config\n      containers:\n'),
    ),
  },
  {name: 'a Service with two unnamed ports', api: 'invalid', yaml: service('web', '    - port: 80\n    - port: 443\n')},
  {name: 'a Service targetPort number in quotes (a port name)', api: 'invalid', yaml: service('web', '    - port: 80\n      targetPort: "8080"\n')},
  {name: 'a Service targetPort name in capitals', api: 'invalid', yaml: service('web', '    - port: 80\n      targetPort: Http\n')},
  {
    name: 'a Service with two named ports',
    api: 'valid',
    yaml: service('web', '    - name: http\n      port: 80\n    - name: https\n      port: 443\n      targetPort: web-tls\n'),
  },

  // What only admission knows: the documented disagreement.
  {
    name: 'an object in a namespace that does not exist',
    api: 'invalid',
    yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: NS-missing\n',
    exception:
      "namespace existence is admission (NamespaceLifecycle); lint reports it with its namespace-missing rule, against the repository's Namespace manifests, not the cluster",
  },
]

let counter = 0
function lintVerdict(yaml: string): {verdict: Verdict; messages: string[]} {
  const dir = path.join(scratch, `case-${counter++}`)
  mkdirSync(dir)
  writeFileSync(path.join(dir, 'manifest.yaml'), yaml)
  const result = lintRepository({
    paths: [dir],
    severity: 'error',
    schemas: bundledSchemas(),
    only: ['yaml-syntax', 'not-an-object', 'object-shape', 'schema', 'object-validation'],
  })
  expect(result.summary.schemas, 'the build bundles the schemas (npm run build)').not.toBeNull()
  return {verdict: result.summary.errors > 0 ? 'invalid' : 'valid', messages: result.findings.map((f) => `${f.rule}: ${f.message}`)}
}

async function apiVerdict(yaml: string): Promise<{verdict: Verdict; said: string}> {
  const file = path.join(scratch, `api-${counter++}.yaml`)
  writeFileSync(file, yaml)
  const result = await kubectl(['apply', '--dry-run=server', '-f', file])
  return {verdict: result.exitCode === 0 ? 'valid' : 'invalid', said: (result.stderr || result.stdout).trim()}
}

describe("lint agrees with the API server's server-side dry run", () => {
  it('has at least 20 cases where they must agree, valid and invalid, built-in kinds and custom resources', () => {
    const agreeing = cases.filter((c) => !c.exception)
    expect(agreeing.length).toBeGreaterThanOrEqual(20)
    expect(agreeing.filter((c) => c.api === 'valid').length).toBeGreaterThanOrEqual(5)
    expect(agreeing.filter((c) => /flagger|monitoring/.test(c.yaml)).length).toBeGreaterThanOrEqual(8)
  })

  it.each(cases)('$name: API $api', async ({yaml, api, exception}) => {
    const manifest = yaml.replaceAll('NS', ns)
    const server = await apiVerdict(manifest)
    expect(server.verdict, `the API server: ${server.said}`).toBe(api)
    const lint = lintVerdict(manifest)
    if (exception) {
      // The documented disagreement, asserted: lint's schema rules take what the server refuses.
      expect(lint.verdict, exception).toBe(api === 'valid' ? 'invalid' : 'valid')
    } else {
      expect(lint.verdict, `lint: ${lint.messages.join('; ')}; the API server: ${server.said}`).toBe(api)
    }
  })
})
