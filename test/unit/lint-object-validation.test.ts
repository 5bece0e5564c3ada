import {describe, expect, it} from 'vitest'

import {
  isRelaxedEnvVarName,
  appsSelectorProblems,
  configMapProblems,
  cronJobProblems,
  cronScheduleProblem,
  ingressProblems,
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isLabelValue,
  isQualifiedName,
  isValidPathSegmentName,
  isValidPortName,
  isWildcardDNS1123Subdomain,
  jobSelectorProblems,
  labelSelectorProblems,
  metaLabelProblems,
  objectValidationProblems,
  podTemplateProblems,
  secretProblems,
  serviceProblems,
} from '../../src/lib/rules/object-validation.js'
import {fieldPath} from '../../src/lib/rules/kube.js'
import type {KubeObject} from '../../src/lib/rules/types.js'

// The pure checks of rule object-validation, against the cases of the upstream Go's own tests
// (k8s.io/apimachinery@v0.35.4 pkg/util/validation/validation_test.go) and the decisions of
// pkg/apis/{core,apps,batch}/validation at k8s.io/kubernetes@v1.35.4. The API server's verdict on
// whole objects is test/integration/lint-dryrun.test.ts.

const ok = (problems: string[]) => expect(problems).toEqual([])
const bad = (problems: string[]) => expect(problems.length).toBeGreaterThan(0)

describe('name formats', () => {
  it('IsDNS1123Label', () => {
    for (const v of ['a', 'ab', 'a-b', '0', 'a0', '11-22', 'a'.repeat(63)]) ok(isDNS1123Label(v))
    for (const v of ['', 'A', 'ABC', 'a.b', '-a', 'a-', 'a_b', 'a b', 'a'.repeat(64)]) bad(isDNS1123Label(v))
    expect(isDNS1123Label('a.b')).toEqual(['must not contain dots'])
  })

  it('IsDNS1123Subdomain', () => {
    for (const v of ['a', 'a.b', 'a-b.c-d', '1.2.3.4', 'web.config-1', `${'a'.repeat(63)}.${'b'.repeat(63)}`]) ok(isDNS1123Subdomain(v))
    for (const v of ['', 'A', 'a..b', '.a', 'a.', 'a_b', 'Web-Config', 'a-', 'a'.repeat(254)]) bad(isDNS1123Subdomain(v))
  })

  it('IsDNS1035Label', () => {
    for (const v of ['a', 'ab', 'a-b', 'a0']) ok(isDNS1035Label(v))
    for (const v of ['0', '1web', 'a.b', 'A', 'a-', 'a'.repeat(64)]) bad(isDNS1035Label(v))
  })

  it('IsValidPathSegmentName (RBAC names)', () => {
    for (const v of ['system:controller:foo', 'Any Thing', 'a.b']) ok(isValidPathSegmentName(v))
    expect(isValidPathSegmentName('..')).toEqual(["may not be '..'"])
    expect(isValidPathSegmentName('a/b%c')).toEqual(["may not contain '/'", "may not contain '%'"])
  })

  it('a CustomResourceDefinition is named spec.names.plural + "." + spec.group (ValidateCustomResourceDefinition)', () => {
    const crd = (name: string, spec: Record<string, unknown>): KubeObject => ({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: {name},
      spec,
    })
    const spec = {group: 'flagger.app', names: {plural: 'canaries', kind: 'Canary'}}
    expect(objectValidationProblems(crd('canaries.flagger.app', spec), false)).toEqual([])
    expect(objectValidationProblems(crd('canary.flagger.app', spec), false)).toEqual([
      {path: ['metadata', 'name'], message: 'metadata.name "canary.flagger.app" must be spec.names.plural+"."+spec.group (for a CustomResourceDefinition)'},
    ])
    // No names or group (the schema reports those): the name cannot be what they would make it.
    expect(objectValidationProblems(crd('canaries.flagger.app', {}), false).map((problem) => problem.message)).toEqual([
      'metadata.name "canaries.flagger.app" must be spec.names.plural+"."+spec.group (for a CustomResourceDefinition)',
    ])
  })
})

describe('labels, annotations and keys', () => {
  it('IsQualifiedName', () => {
    for (const v of [
      'simple',
      'now-with-dashes',
      '1-starts-with-num',
      '1234',
      'simple/simple',
      'example.com/Upper',
      'a.b_c-d',
      `${'a'.repeat(253)}/${'b'.repeat(63)}`,
    ])
      ok(isQualifiedName(v))
    for (const v of [
      '',
      'nospecialchars%^=@',
      'cantendwithadash-',
      '-cantstartwithadash',
      '/simple',
      'Example.com/x',
      'a/b/c',
      'with space',
      'a'.repeat(64),
      `x/${'a'.repeat(64)}`,
    ])
      bad(isQualifiedName(v))
  })

  it('IsValidLabelValue', () => {
    for (const v of ['', 'simple', 'now-with-dashes', '1-starts-with-num', 'end-with-num-1', '1234', 'Upper_Case.dot', 'a'.repeat(63)]) ok(isLabelValue(v))
    for (const v of [
      'nospecialchars%^=@',
      'Tama-nui-te-rā.is.Māori.sun',
      '\\backslashes',
      '-starts-with-dash',
      'ends-with-dash-',
      '.starts.with.dot',
      'web app',
      'a'.repeat(64),
    ])
      bad(isLabelValue(v))
  })

  it('IsConfigMapKey', () => {
    for (const v of ['a', 'a.b', 'a..b', 'KEY_NAME', 'key-name', '.hidden', 'app.config_file-1.json']) ok(isConfigMapKey(v))
    for (const v of ['', 'not a key', 'a/b', '.', '..', '..data', 'a:b', 'a'.repeat(254)]) bad(isConfigMapKey(v))
  })

  it('IsValidPortName (IANA_SVC_NAME)', () => {
    for (const v of ['http', 'h-t-t-p', 'a1', 'web-tls', 'a'.repeat(15)]) ok(isValidPortName(v))
    for (const v of ['', 'Http', '80', 'h--p', '-http', 'http-', 'http_web', 'http-web-server-1']) bad(isValidPortName(v))
  })

  it('labels: bad keys and values, annotation keys lower-cased, the 256 kB total', () => {
    expect(metaLabelProblems({labels: {app: 'web', 'example.org/tier': 'front'}, annotations: {'Example.ORG/Note': 'any text'}}, ['metadata'])).toEqual([])
    const problems = metaLabelProblems({labels: {'a/b/c': 'x', app: 'web app'}, annotations: {'my note': 'x'}}, ['metadata'])
    expect(problems.map((p) => p.path)).toEqual([
      ['metadata', 'labels', 'a/b/c'],
      ['metadata', 'labels', 'app'],
      ['metadata', 'annotations', 'my note'],
    ])
    expect(problems[1].message).toContain('label app: value "web app"')
    const big = metaLabelProblems({annotations: {a: 'x'.repeat(256 * 1024)}}, ['metadata'])
    expect(big).toHaveLength(1)
    expect(big[0].message).toMatch(/^annotations total 262145 bytes, more than the API server's limit of 262144$/)
    // The message counts bytes and never quotes an annotation's value.
    expect(big[0].message).not.toContain('xxx')
  })

  it('ConfigMap: bad keys, a key in both data and binaryData; Secret: data and stringData keys, never values', () => {
    expect(configMapProblems({data: {'a.b': 'x', c: 'y'}, binaryData: {d: 'eA=='}})).toEqual([])
    expect(configMapProblems({data: {'not a key': 'x', a: 'x'}, binaryData: {a: 'eA==', '..b': 'eA=='}}).map((p) => p.message)).toEqual([
      'data key "not a key" must consist of letters, digits, "-", "_" or "." (e.g. key.name, KEY_NAME, key-name)',
      'data key "a" is also a binaryData key; a key may be in only one of them',
      `binaryData key "..b" must not start with '..'`,
    ])
    const secret = secretProblems({data: {token: 'aHVudGVyMg=='}, stringData: {'config/app.yaml': 'password: hunter2'}})
    expect(secret.map((p) => p.path)).toEqual([['stringData', 'config/app.yaml']])
    expect(secret[0].message).not.toContain('hunter2')
  })
})

describe('CronJobs (robfig/cron v3.0.1 ParseStandard, validateCronJobSpec)', () => {
  it('schedules: five fields of numbers, names, ranges, steps and lists, or a descriptor', () => {
    for (const ok of [
      '* 5 * * *',
      '*/5 * * * *',
      '0 9 * * MON-fri',
      '0 0 1 jan,Jul *',
      '5/15 * * * ?',
      '1,,2 * * * *',
      '+5 * * * *',
      '@hourly',
      '@every 1h30m',
      '@every .5h',
      '@every 0',
    ])
      expect(cronScheduleProblem(ok), ok).toBeUndefined()
    expect(
      [
        '* * * *',
        '0 * * * * *',
        '60 * * * *',
        '* 24 * * *',
        '* * 0 * *',
        '* * * 13 *',
        '* * * * 7',
        '*/0 * * * *',
        '5-1 * * * *',
        '1-2-3 * * * *',
        '1/2/3 * * * *',
        '-1 * * * *',
        'x * * * *',
      ].map(cronScheduleProblem),
    ).toEqual([
      'expected exactly 5 fields, found 4: [* * * *]',
      'expected exactly 5 fields, found 6: [0 * * * * *]',
      'end of range (60) above maximum (59): 60',
      'end of range (24) above maximum (23): 24',
      'beginning of range (0) below minimum (1): 0',
      'end of range (13) above maximum (12): 13',
      'end of range (7) above maximum (6): 7',
      'step of range should be a positive number: */0',
      'beginning of range (5) beyond end of range (1): 5-1',
      'too many hyphens: 1-2-3',
      'too many slashes: 1/2/3',
      'failed to parse int from ',
      'failed to parse int from x',
    ])
    expect(['@fortnightly', '@every 1d', '@every 5', ''].map(cronScheduleProblem)).toEqual([
      'unrecognized descriptor: @fortnightly',
      'failed to parse duration @every 1d',
      'failed to parse duration @every 5',
      'empty spec string',
    ])
  })

  it('a time zone belongs in spec.timeZone; counts are not negative; the job template has no selector', () => {
    expect(cronJobProblems({schedule: 'CRON_TZ=UTC 0 0 * * *'}).map((problem) => problem.message)).toEqual([
      'spec.schedule "CRON_TZ=UTC 0 0 * * *" cannot use TZ or CRON_TZ; use the spec.timeZone field instead',
    ])
    const problems = cronJobProblems({
      schedule: '@daily',
      failedJobsHistoryLimit: -1,
      successfulJobsHistoryLimit: 0,
      jobTemplate: {spec: {selector: {matchLabels: {app: 'tick'}}, manualSelector: true}},
    })
    expect(problems.map((problem) => problem.path.join('.'))).toEqual([
      'spec.failedJobsHistoryLimit',
      'spec.jobTemplate.spec.selector',
      'spec.jobTemplate.spec.manualSelector',
    ])
  })
})

describe('Secret types', () => {
  it('the keys each built-in type requires, in data or stringData; key names only in messages', () => {
    const secret = (type: string, body: Record<string, unknown>) => secretProblems({type, ...body}).map((p) => p.message)
    expect(secret('Opaque', {})).toEqual([])
    expect(secret('kubernetes.io/tls', {data: {'tls.crt': 'eA=='}, stringData: {'tls.key': 'secret-key-material'}})).toEqual([])
    expect(secret('kubernetes.io/tls', {stringData: {'tls.crt': 'x'}})).toEqual([
      'a Secret of type kubernetes.io/tls needs the key "tls.key" in data (or stringData)',
    ])
    expect(secret('kubernetes.io/basic-auth', {stringData: {password: ''}})).toEqual([])
    expect(secret('kubernetes.io/basic-auth', {stringData: {user: 'x'}})).toHaveLength(2)
    expect(secret('kubernetes.io/ssh-auth', {stringData: {'ssh-privatekey': ''}})).toHaveLength(1)
    expect(secret('kubernetes.io/ssh-auth', {data: {'ssh-privatekey': 'eA=='}})).toEqual([])
    expect(secret('kubernetes.io/dockerconfigjson', {stringData: {'config.json': '{}'}})).toEqual([
      'a Secret of type kubernetes.io/dockerconfigjson needs the key ".dockerconfigjson" in data (or stringData)',
    ])
    expect(secret('kubernetes.io/service-account-token', {})).toEqual([
      'a Secret of type kubernetes.io/service-account-token needs the annotation kubernetes.io/service-account.name',
    ])
    expect(secret('kubernetes.io/service-account-token', {metadata: {annotations: {'kubernetes.io/service-account.name': 'ci'}}})).toEqual([])
  })
})

describe('selectors', () => {
  const template = (labels: Record<string, string>) => ({metadata: {labels}, spec: {containers: [{name: 'web', image: 'nginx'}]}})

  it('LabelSelectorAsSelector: operators, values, keys', () => {
    expect(labelSelectorProblems({matchLabels: {app: 'web'}, matchExpressions: [{key: 'tier', operator: 'Exists'}]}, ['spec', 'selector'])).toEqual([])
    const problems = labelSelectorProblems(
      {
        matchLabels: {'bad key': 'x', app: 'web app'},
        matchExpressions: [
          {key: 'a', operator: 'In', values: []},
          {key: 'a', operator: 'Exists', values: ['x']},
          {key: 'a', operator: 'Equals', values: ['x']},
          {key: 'a', operator: 'NotIn', values: ['bad value']},
        ],
      },
      ['spec', 'selector'],
    )
    expect(problems.map((p) => p.message)).toEqual([
      'spec.selector.matchLabels key "bad key" name part must consist of letters, digits, "-", "_" or ".", and must start and end with a letter or digit',
      'spec.selector.matchLabels app: value "web app" must be empty or consist of letters, digits, "-", "_" or ".", and must start and end with a letter or digit',
      'spec.selector.matchExpressions[0].values must be given when operator is In or NotIn',
      'spec.selector.matchExpressions[1].values must be empty when operator is Exists or DoesNotExist',
      'spec.selector.matchExpressions[2].operator "Equals" is not one of In, NotIn, Exists, DoesNotExist',
      'spec.selector.matchExpressions[3].values[0] "bad value" must be empty or consist of letters, digits, "-", "_" or ".", and must start and end with a letter or digit',
    ])
  })

  it('apps/v1 workloads: the selector is non-empty and matches the template, matchExpressions included', () => {
    expect(appsSelectorProblems('Deployment', {selector: {matchLabels: {app: 'web'}}, template: template({app: 'web', tier: 'front'})})).toEqual([])
    const expressions = {
      matchExpressions: [
        {key: 'app', operator: 'In', values: ['web', 'api']},
        {key: 'canary', operator: 'DoesNotExist'},
        {key: 'tier', operator: 'NotIn', values: ['db']},
      ],
    }
    expect(appsSelectorProblems('Deployment', {selector: expressions, template: template({app: 'web'})})).toEqual([])
    expect(appsSelectorProblems('Deployment', {selector: expressions, template: template({app: 'web', tier: 'db'})}).map((p) => p.path)).toEqual([
      ['spec', 'template', 'metadata', 'labels'],
    ])
    expect(appsSelectorProblems('Deployment', {selector: {matchLabels: {app: 'api'}}, template: template({app: 'web'})}).map((p) => p.message)).toEqual([
      "spec.selector (app=api) does not select the pod template's labels (app=web): give the template the labels the selector asks for",
    ])
    expect(appsSelectorProblems('StatefulSet', {selector: {}, template: template({app: 'web'})}).map((p) => p.message)).toEqual([
      "spec.selector is empty, which the API server refuses for a StatefulSet: select the pod template's labels",
    ])
    // Absent: the schema's `required` reports it (rule schema), not this rule.
    expect(appsSelectorProblems('Deployment', {template: template({app: 'web'})})).toEqual([])
  })

  it('Jobs: a selector only with manualSelector, and then matching', () => {
    expect(jobSelectorProblems('migrate', {template: template({app: 'migrate'})})).toEqual([])
    expect(jobSelectorProblems('migrate', {selector: {matchLabels: {app: 'migrate'}}, template: template({app: 'migrate'})})).toHaveLength(1)
    // A selector that the generated labels satisfy is accepted (validateGeneratedSelector).
    expect(jobSelectorProblems('migrate', {selector: {matchLabels: {'batch.kubernetes.io/job-name': 'migrate'}}, template: template({})})).toEqual([])
    // The generated controller-uid label: its value is assigned at creation (or read from metadata.uid).
    const uidExists = {matchExpressions: [{key: 'batch.kubernetes.io/controller-uid', operator: 'Exists'}]}
    expect(jobSelectorProblems('migrate', {selector: uidExists, template: template({})})).toEqual([])
    expect(jobSelectorProblems('migrate', {selector: {matchLabels: {'batch.kubernetes.io/controller-uid': 'f00'}}, template: template({})})).toHaveLength(1)
    expect(jobSelectorProblems('migrate', {selector: {matchLabels: {'batch.kubernetes.io/controller-uid': 'f00'}}, template: template({})}, 'f00')).toEqual([])
    expect(jobSelectorProblems('migrate', {manualSelector: true, selector: {matchLabels: {app: 'migrate'}}, template: template({app: 'migrate'})})).toEqual([])
    expect(jobSelectorProblems('migrate', {manualSelector: true, selector: {matchLabels: {app: 'x'}}, template: template({app: 'migrate'})})).toHaveLength(1)
    expect(jobSelectorProblems('migrate', {manualSelector: true, template: template({app: 'migrate'})})).toHaveLength(1)
  })
})

describe('pod templates and Services', () => {
  it('containers: DNS-1123 label names, unique across init and regular containers, image required, port names', () => {
    const problems = podTemplateProblems(
      {
        metadata: {labels: {tier: 'front end'}},
        spec: {
          initContainers: [{name: 'web', image: 'busybox'}],
          containers: [
            {
              name: 'web',
              image: 'nginx',
              ports: [
                {containerPort: 80, name: 'http'},
                {containerPort: 81, name: 'http'},
              ],
            },
            {name: 'Side_Car', ports: [{containerPort: 82, name: 'http-web-server-1'}]},
          ],
        },
      },
      ['spec', 'template'],
    )
    expect(problems.map((p) => fieldPath(p.path))).toEqual([
      'spec.template.metadata.labels.tier',
      'spec.template.spec.containers[0].ports[1].name',
      'spec.template.spec.containers[1].name',
      'spec.template.spec.containers[1]',
      'spec.template.spec.containers[1].ports[0].name',
      'spec.template.spec.initContainers[0].name',
    ])
    expect(problems.map((p) => p.message)).toContain('spec.template.spec.containers[1].image is required')
    expect(problems.map((p) => p.message)).toContain(
      'spec.template.spec.initContainers[0].name "web" is already the name of another container (containers and initContainers)',
    )
  })

  it('volumes: DNS-1123 label names, unique; volumeMounts name a valid volume, one mount per mountPath', () => {
    const spec = (volumes: unknown[], mounts: unknown[]) => ({spec: {volumes, containers: [{name: 'web', image: 'nginx', volumeMounts: mounts}]}})
    const config = {name: 'config', configMap: {name: 'web-config'}}
    expect(podTemplateProblems(spec([config], [{name: 'config', mountPath: '/etc/web'}]), ['spec', 'template'])).toEqual([])
    const problems = podTemplateProblems(
      spec(
        [config, config, {name: 'Data', emptyDir: {}}],
        [
          {name: 'settings', mountPath: '/etc/web'},
          {name: 'config', mountPath: '/etc/web'},
          {name: 'Data', mountPath: '/data'},
        ],
      ),
      ['spec', 'template'],
    )
    expect(problems.map((p) => p.message)).toEqual([
      'spec.template.spec.volumes[1].name "config" is already the name of another volume',
      'spec.template.spec.volumes[2].name "Data" must be a lowercase RFC 1123 label: lower case letters, digits and "-", starting and ending with a letter or digit',
      'spec.template.spec.containers[0].volumeMounts[0].name "settings" is not a volume of this pod (spec.template.spec.volumes)',
      'spec.template.spec.containers[0].volumeMounts[1].mountPath "/etc/web" is already the mountPath of another volumeMount of this container',
      'spec.template.spec.containers[0].volumeMounts[2].name "Data" is not a volume of this pod (spec.template.spec.volumes)',
    ])
  })

  it('Service ports: names required past one port, DNS labels, unique; named targetPorts', () => {
    expect(serviceProblems({spec: {ports: [{port: 80}]}})).toEqual([])
    expect(
      serviceProblems({
        spec: {
          ports: [
            {name: 'http', port: 80, targetPort: 'web'},
            {name: 'https', port: 443, targetPort: 8443},
          ],
        },
      }),
    ).toEqual([])
    expect(
      serviceProblems({spec: {ports: [{port: 80}, {name: 'http', port: 81}, {name: 'http', port: 82, targetPort: 'Http'}]}}).map((p) => p.message),
    ).toEqual([
      'spec.ports[0].name is required when a Service has more than one port',
      'spec.ports[2].name "http" is already the name of another port',
      'spec.ports[2].targetPort "Http" must contain only lower case letters, digits and "-" (a port name is an IANA service name)',
    ])
  })

  it('Ingress: hosts (not IPs, wildcards), paths per pathType, backend Service names and ports', () => {
    ok(isWildcardDNS1123Subdomain('*.example.org'))
    for (const v of ['*', '*.', 'a.*.org', '*.Example.org', '**.example.org']) bad(isWildcardDNS1123Subdomain(v))
    const rule = (host: string, path: string, pathType: string, service: Record<string, unknown> = {name: 'web', port: {number: 80}}) => ({
      host,
      http: {paths: [{path, pathType, backend: {service}}]},
    })
    expect(
      ingressProblems({
        spec: {
          tls: [{hosts: ['*.example.org', 'web.example.org']}],
          rules: [
            rule('*.example.org', '/', 'Prefix'),
            rule('web.example.org', '/api(/|$)(.*)', 'ImplementationSpecific'),
            rule('', '', 'ImplementationSpecific'),
          ],
        },
      }),
    ).toEqual([])
    const problems = ingressProblems({
      spec: {
        defaultBackend: {service: {name: 'Web', port: {number: 80}}},
        tls: [{hosts: ['web_example.org']}],
        rules: [
          rule('10.0.0.1', 'api', 'Prefix'),
          rule('web.example.org', '/a//b/..', 'Exact', {name: 'web', port: {name: 'HTTP'}}),
          rule('web.example.org', '/', 'Prefix', {name: 'web', port: {name: 'http', number: 80}}),
        ],
      },
    })
    expect(problems.map((p) => fieldPath(p.path))).toEqual([
      'spec.defaultBackend.service.name',
      'spec.tls[0].hosts[0]',
      'spec.rules[0].host',
      'spec.rules[0].http.paths[0].path',
      'spec.rules[1].http.paths[0].path',
      'spec.rules[1].http.paths[0].path',
      // "HTTP": not lower case, and no letter a-z (the API server says both too).
      'spec.rules[1].http.paths[0].backend.service.port.name',
      'spec.rules[1].http.paths[0].backend.service.port.name',
      'spec.rules[2].http.paths[0].backend.service.port',
    ])
    expect(problems[2].message).toBe('spec.rules[0].host "10.0.0.1" must be a DNS name, not an IP address')
    expect(problems[5].message).toBe(`spec.rules[1].http.paths[0].path "/a//b/.." cannot end with '/..'`)
  })

  it('metadata.name per kind: ConfigMap subdomain, Namespace and StatefulSet labels, Service DNS-1035, RBAC path segments, custom resources subdomains', () => {
    const names = (apiVersion: string, kind: string, name: string, namespaced = true) =>
      objectValidationProblems({apiVersion, kind, metadata: {name}} as KubeObject, namespaced).filter((p) => fieldPath(p.path) === 'metadata.name').length
    expect(names('v1', 'ConfigMap', 'web.config-1')).toBe(0)
    expect(names('v1', 'ConfigMap', 'Web-Config')).toBe(1)
    expect(names('v1', 'Namespace', 'team.one', false)).toBe(1)
    expect(names('v1', 'Service', 'web.api')).toBe(1)
    expect(names('v1', 'Service', '1web')).toBe(1)
    expect(names('apps/v1', 'StatefulSet', 'web.one')).toBe(1)
    expect(names('apps/v1', 'Deployment', 'web.one')).toBe(0)
    expect(names('batch/v1', 'CronJob', 'a'.repeat(53))).toBe(1)
    expect(names('rbac.authorization.k8s.io/v1', 'ClusterRole', 'system:journal:Reader', false)).toBe(0)
    expect(names('monitoring.coreos.com/v1', 'PrometheusRule', 'Alerts')).toBe(1)
    // A built-in kind whose own name validator is not ported: the check every kind gets
    // (rest.BeforeCreate: path segment names), rather than a wrong one.
    expect(names('policy/v1', 'PodDisruptionBudget', 'web/pdb')).toBe(1)
    expect(names('policy/v1', 'PodDisruptionBudget', 'Web')).toBe(0)
  })

  it('fieldPath quotes keys that are not identifiers', () => {
    expect(fieldPath(['data', 'not a key'])).toBe('data["not a key"]')
    expect(fieldPath(['metadata', 'labels', 'app.kubernetes.io/name'])).toBe('metadata.labels["app.kubernetes.io/name"]')
    expect(fieldPath(['spec', 'ports', 0, 'name'])).toBe('spec.ports[0].name')
  })
})

describe('isRelaxedEnvVarName (apimachinery IsRelaxedEnvVarName)', () => {
  it('takes printable ASCII other than "=", a space included; refuses "=", control characters and non-ASCII', () => {
    for (const ok of ['MY_VAR', 'my.env-name', 'MY VAR', '1abc', '~!@#$%^&*()']) expect(isRelaxedEnvVarName(ok), ok).toEqual([])
    for (const bad of ['A=B', 'tab\there', 'café', 'line\n']) expect(isRelaxedEnvVarName(bad), bad).toHaveLength(1)
  })
})
