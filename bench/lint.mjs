#!/usr/bin/env node
// Benchmark for `elife-k8s lint` (issue 17): a generated GitOps repository the size of a real
// cluster's (200 YAML files, ~3 MB: namespaces, HelmReleases with values, Deployments, Services,
// Ingresses behind oauth2-proxy, Flagger Canaries, PrometheusRules, Grafana dashboards, the
// Alertmanager template), linted offline with rendering excluded (its HelmReleases' charts live in
// other repositories). Targets: <= 1.0 s wall and <= 150 MB peak RSS. For scale, the same CLI on
// an empty directory (start-up and nothing to read) runs in the same turns.
//
// Then rule 9: a repository with 20 HelmReleases whose charts it keeps (Flux v2, through the
// GitRepository its Kustomization reads), linted with rendering, side by side with running
// `helm template` on each of the 20 releases one by one (a bash script, values files); the ratio
// of the wall times is the figure (target <= 0.5x). In the same turns, the same 20 `helm template`
// runs started by xargs as many at once as lint runs them, and nothing else: the floor of any
// tool that renders with helm on this machine. helm: --helm, else $ELIFE_K8S_HELM, else PATH.
//
//   npm run build && node bench/lint.mjs [--runs 5] [--json] [--node PATH] [--helm PATH] [--keep]
import {cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {availableParallelism, tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {spawnSync} from 'node:child_process'

import {caNote, compare, measureInterleaved, round} from './lib.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const {values: opts} = parseArgs({
  options: {
    runs: {type: 'string', default: '5'},
    json: {type: 'boolean', default: false},
    node: {type: 'string', default: process.execPath},
    helm: {type: 'string', default: process.env.ELIFE_K8S_HELM ?? 'helm'},
    keep: {type: 'boolean', default: false},
  },
})
const runs = Number(opts.runs)

const dir = mkdtempSync(path.join(tmpdir(), 'elife-k8s-bench-lint-'))
const repo = path.join(dir, 'repo')
const empty = path.join(dir, 'empty')
mkdirSync(empty)

const namespaces = ['adm', 'prod', 'stg', 'continuumtest', 'end2end', 'demo', 'flux', 'sciety', 'data-hub', 'epp']
let files = 0
let bytes = 0
function write(rel, text) {
  const file = path.join(repo, rel)
  mkdirSync(path.dirname(file), {recursive: true})
  writeFileSync(file, text)
  if (/\.ya?ml$/.test(rel)) files++
  bytes += Buffer.byteLength(text)
}

write('namespaces.yaml', namespaces.map((name) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`).join('---\n'))
write(
  'releases/adm/prometheus-operator.yaml',
  `apiVersion: helm.fluxcd.io/v1
kind: HelmRelease
metadata:
  name: prometheus-operator
  namespace: adm
spec:
  releaseName: adm-prometheus-operator
  chart:
    repository: https://charts.helm.sh/stable
    name: prometheus-operator
    version: 9.3.2
  values:
    prometheus:
      prometheusSpec:
        ruleSelector:
          matchExpressions:
            - key: app
              operator: In
              values: [elife-alerts]
    grafana:
      sidecar:
        dashboards:
          label: grafana_dashboard
          labelValue: "1"
`,
)
write(
  'releases/adm/ingress-nginx.yaml',
  `apiVersion: helm.fluxcd.io/v1\nkind: HelmRelease\nmetadata:\n  name: ingress-nginx\n  namespace: adm\nspec:\n  chart:\n    repository: https://kubernetes.github.io/ingress-nginx\n    name: ingress-nginx\n    version: 3.34.0\n`,
)
write(
  'releases/adm/metric-template.yaml',
  `apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata:\n  name: nginx-request-success-rate\n  namespace: adm\nspec:\n  provider:\n    type: prometheus\n    address: http://prometheus-operated.adm:9090\n  query: sum(rate(nginx_ingress_controller_requests{namespace="adm",ingress="{{ ingress }}",status!~"5.*"}[{{ interval }}])) / sum(rate(nginx_ingress_controller_requests{namespace="adm",ingress="{{ ingress }}"}[{{ interval }}])) * 100\n`,
)
write(
  'alertmanager-secret.yaml-template',
  `route:\n  receiver: slack\nreceivers:\n  - name: slack\n    slack_configs:\n      - api_url: \${SLACK_WEBHOOK_URL}\n        channel: '#alerts-test'\n`,
)

// 20 dashboards of ~90 KB each: the bulk of a real repository's bytes.
for (let d = 0; d < 20; d++) {
  const panels = Array.from({length: 170}, (_, p) => ({
    id: p,
    type: 'graph',
    title: `Panel ${p} of dashboard ${d}`,
    gridPos: {h: 8, w: 12, x: (p % 2) * 12, y: p * 8},
    targets: [
      {
        expr: `sum(rate(nginx_ingress_controller_requests{ingress="app-${d}",status=~"${p % 5}.."}[5m])) by (ingress, status)`,
        legendFormat: '{{ingress}} {{status}}',
        refId: 'A',
      },
    ],
    yaxes: [
      {format: 'short', logBase: 1, show: true},
      {format: 'short', logBase: 1, show: false},
    ],
  }))
  const json = JSON.stringify({uid: `dashboard-${d}`, title: `Dashboard ${d}`, schemaVersion: 27, panels}, null, 2)
  write(
    `releases/adm/dashboards/dashboard-${d}.yaml`,
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dashboard-${d}\n  namespace: adm\n  labels:\n    grafana_dashboard: "1"\ndata:\n  dashboard-${d}.json: |-\n${json
      .split('\n')
      .map((line) => `    ${line}`)
      .join('\n')}\n`,
  )
}

// 20 PrometheusRule files of 25 rules each.
for (let r = 0; r < 20; r++) {
  const rules = Array.from(
    {length: 25},
    (_, i) =>
      `        - alert: Alert${r}x${i}\n          expr: sum(rate(http_requests_total{job="app-${r}",code=~"5.."}[5m])) by (instance) / sum(rate(http_requests_total{job="app-${r}"}[5m])) by (instance) > 0.0${i + 1}\n          for: ${i + 1}m\n          labels:\n            severity: warning\n          annotations:\n            summary: 'High error rate on {{ $labels.instance }}'\n`,
  ).join('')
  write(
    `releases/adm/rules/rules-${r}.yaml`,
    `apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: rules-${r}\n  namespace: adm\n  labels:\n    app: elife-alerts\nspec:\n  groups:\n    - name: app-${r}\n      rules:\n${rules}`,
  )
}

// The applications: 155 files, each a HelmRelease with values, or a Deployment + Service +
// Ingress + Canary in one multi-document file.
for (let a = 0; files < 200; a++) {
  const ns = namespaces[1 + (a % (namespaces.length - 1))]
  const name = `app-${a}`
  if (a % 2 === 0) {
    const env = Array.from({length: 40}, (_, i) => `        - name: SETTING_${i}\n          value: "value-${a}-${i}"`).join('\n')
    write(
      `releases/${ns}/${name}.yaml`,
      `apiVersion: helm.fluxcd.io/v1\nkind: HelmRelease\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n  annotations:\n    fluxcd.io/automated: "true"\nspec:\n  releaseName: ${name}--${ns}\n  chart:\n    git: https://github.com/elifesciences/${name}\n    ref: master\n    path: helm/${name}\n  values:\n    image:\n      repository: elifesciences/${name}\n      tag: "${a}.0.0"\n    replicaCount: 2\n    app:\n      env:\n${env}\n    resources:\n      requests:\n        cpu: 100m\n        memory: 256Mi\n`,
    )
  } else {
    write(
      `releases/${ns}/${name}.yaml`,
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: ${name}
          image: elifesciences/${name}:${a}.0.0
          ports: [{name: http, containerPort: 8080}]
          env:
${Array.from({length: 30}, (_, i) => `            - name: SETTING_${i}\n              value: "value-${i}"`).join('\n')}
---
apiVersion: v1
kind: Service
metadata:
  name: ${name}-metrics
  namespace: ${ns}
spec:
  selector: {app: ${name}}
  ports: [{name: metrics, port: 9100}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: ${ns}
  annotations:
    nginx.ingress.kubernetes.io/auth-url: "https://oauth-proxy.elifesciences.org/oauth2/auth"
    nginx.ingress.kubernetes.io/auth-signin: "https://oauth-proxy.elifesciences.org/oauth2/start?rd=https%3A%2F%2F$host$request_uri"
spec:
  rules:
    - host: ${name}.elifesciences.org
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service: {name: ${name}, port: {number: 80}}
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  provider: nginx
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: ${name}}
  ingressRef: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: ${name}}
  service: {port: 80, targetPort: 8080}
  analysis:
    interval: 1m
    threshold: 5
    maxWeight: 50
    stepWeight: 10
    metrics:
      - name: request-success-rate
        templateRef: {name: nginx-request-success-rate, namespace: adm}
        thresholdRange: {min: 99}
        interval: 1m
`,
    )
  }
}

const bin = path.join(root, 'bin/run.js')
const env = {...process.env, NO_COLOR: '1'}
// A sanity run: the repository lints clean, so the figures are for a full pass, not an early exit.
const check = spawnSync(opts.node, [bin, 'lint', repo], {env, encoding: 'utf8'})
if (check.status !== 0) {
  console.error(check.stdout.slice(0, 2000), check.stderr)
  throw new Error(`the generated repository does not lint clean (exit ${check.status})`)
}

const results = measureInterleaved(
  [
    {label: 'elife-k8s lint (200 files)', argv: [opts.node, bin, 'lint', repo]},
    {label: 'elife-k8s lint (empty dir)', argv: [opts.node, bin, 'lint', empty]},
    {label: 'elife-k8s lint (200 files), through oclif', argv: [opts.node, bin, 'lint', repo], env: {...env, ELIFE_K8S_FAST_PATH: '0'}},
  ],
  {runs, env},
)
const [full, floor, oclif] = results
const summary = {
  title: `elife-k8s lint on a generated repository (${caNote(env)}, node ${spawnSync(opts.node, ['--version'], {encoding: 'utf8'}).stdout.trim()})`,
  repository: {files, megabytes: round(bytes / 1024 / 1024, 2), summary: check.stderr.trim()},
  lint: {wallMs: round(full.wallMs), cpuMs: round(full.cpuMs), peakRssMb: round(full.peakRssKb / 1024), walls: full.walls},
  emptyDir: {wallMs: round(floor.wallMs), cpuMs: round(floor.cpuMs), peakRssMb: round(floor.peakRssKb / 1024)},
  // What the fast path (src/lib/cli/fast-lint.ts) saves: kept while it saves >= 20 ms.
  throughOclif: {
    wallMs: round(oclif.wallMs),
    cpuMs: round(oclif.cpuMs),
    peakRssMb: round(oclif.peakRssKb / 1024),
    fastPathSavesMs: round(oclif.wallMs - full.wallMs),
  },
  targets: {wallMs: 1000, peakRssMb: 150, met: full.wallMs <= 1000 && full.peakRssKb / 1024 <= 150},
}
// Rule 9: 20 HelmReleases rendered from charts kept in the repository, against helm template x 20.
const charts = path.join(dir, 'charts-repo')
const releases = 20
const peerLines = ['set -e']
let chartsYaml = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n---\n'
chartsYaml +=
  'apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: self\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: ssh://git@example.org/elife/cluster\n  ref:\n    branch: master\n---\n'
chartsYaml +=
  'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: self\n'
mkdirSync(path.join(dir, 'values'), {recursive: true})
for (let r = 0; r < releases; r++) {
  cpSync(path.join(root, 'test/fixtures/gitops/charts/journal'), path.join(charts, 'charts', `app-${r}`), {recursive: true})
  const values = `replicaCount: 2\nimage:\n  tag: "${r}.0.0"\n`
  writeFileSync(path.join(dir, 'values', `app-${r}.yaml`), values)
  writeFileSync(
    path.join(charts, `app-${r}.yaml`),
    `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: app-${r}\n  namespace: prod\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: ./charts/app-${r}\n      sourceRef:\n        kind: GitRepository\n        name: self\n        namespace: flux-system\n  values:\n${values
      .split('\n')
      .filter(Boolean)
      .map((line) => `    ${line}`)
      .join('\n')}\n`,
  )
  peerLines.push(
    ['helm-bin', 'template', `app-${r}`, path.join(charts, 'charts', `app-${r}`), '--namespace', 'prod', '-f', path.join(dir, 'values', `app-${r}.yaml`)]
      .map((arg) => `'${arg}'`)
      .join(' ')
      .replace("'helm-bin'", '"$HELM"') + ' > /dev/null',
  )
}
writeFileSync(path.join(charts, 'sources.yaml'), chartsYaml)
const peerScript = path.join(dir, 'helm-template-each.sh')
writeFileSync(peerScript, `${peerLines.join('\n')}\n`)
const chartEnv = {...env, ELIFE_K8S_HELM: opts.helm, HELM: opts.helm}
const chartCheck = spawnSync(opts.node, [bin, 'lint', charts, '--json'], {env: chartEnv, encoding: 'utf8'})
const rendered = chartCheck.status === 0 ? JSON.parse(chartCheck.stdout).rendering?.rendered?.length : undefined
if (rendered !== releases) {
  console.error(chartCheck.stdout.slice(0, 2000), chartCheck.stderr)
  throw new Error(`the charts repository did not lint clean with ${releases} releases rendered (exit ${chartCheck.status}, rendered ${rendered})`)
}
// The floor for any tool that renders with helm: the same ${releases} `helm template` runs and
// nothing else, as many at once as lint runs (renderConcurrency: 4 per core, at most 16) and with
// the environment lint gives them (helmTemplateEnv: GOGC, LC_MESSAGES), started by xargs. helm's start-up (its Go packages' init) is most of each run, so
// on few cores this bounds lint's ratio from below.
const cores = availableParallelism()
const atOnce = Math.min(cores * 4, 16)
const floorScript = path.join(dir, 'helm-template-parallel.sh')
writeFileSync(
  floorScript,
  `set -e\nexport GOGC=400${process.env.LC_ALL || process.env.LC_MESSAGES ? '' : ' LC_MESSAGES=fr_FR.UTF-8'}\nseq 0 ${releases - 1} | xargs -P ${atOnce} -I{} "$HELM" template app-{} '${path.join(charts, 'charts')}/app-{}' --namespace prod -f '${path.join(dir, 'values')}/app-{}.yaml' > /dev/null\n`,
)
const [withCharts, helmEach, helmParallel] = measureInterleaved(
  [
    {label: `elife-k8s lint (${releases} charts rendered)`, argv: [opts.node, bin, 'lint', charts]},
    {label: `helm template x ${releases}, one by one`, argv: ['bash', peerScript]},
    {label: `helm template x ${releases}, ${atOnce} at once (xargs)`, argv: ['bash', floorScript]},
  ],
  {runs, env: chartEnv},
)
summary.rendering = {
  releases,
  cores,
  ...compare(withCharts, helmEach),
  target: {ratio: 0.5, met: withCharts.wallMs / helmEach.wallMs <= 0.5},
  helmParallel: {
    label: helmParallel.label,
    wallMs: round(helmParallel.wallMs),
    cpuMs: round(helmParallel.cpuMs),
    ratio: round(helmParallel.wallMs / helmEach.wallMs, 3),
  },
  // What lint adds to helm's own work: Node's start, reading the repository, its rules.
  lintOverFloor: round(withCharts.wallMs / helmParallel.wallMs, 3),
  cpuMs: {ours: round(withCharts.cpuMs), peer: round(helmEach.cpuMs)},
  helm: spawnSync(opts.helm, ['version', '--short'], {encoding: 'utf8'}).stdout.trim(),
}

mkdirSync(path.join(root, 'bench/results'), {recursive: true})
writeFileSync(path.join(root, 'bench/results', `lint-${Date.now()}.json`), JSON.stringify(summary, null, 2))
if (opts.json) console.log(JSON.stringify(summary, null, 2))
else {
  console.log(summary.title)
  console.log(`  repository   ${files} YAML files, ${summary.repository.megabytes} MB (${summary.repository.summary})`)
  console.log(
    `  lint         ${summary.lint.wallMs} ms wall, ${summary.lint.cpuMs} ms CPU, ${summary.lint.peakRssMb} MB peak   (target <= 1000 ms, <= 150 MB: ${summary.targets.met ? 'met' : 'NOT met'})`,
  )
  console.log(`  empty dir    ${summary.emptyDir.wallMs} ms wall, ${summary.emptyDir.cpuMs} ms CPU, ${summary.emptyDir.peakRssMb} MB peak   (start-up alone)`)
  const o = summary.throughOclif
  console.log(
    `  via oclif    ${o.wallMs} ms wall, ${o.cpuMs} ms CPU, ${o.peakRssMb} MB peak   (ELIFE_K8S_FAST_PATH=0: the fast path saves ${o.fastPathSavesMs} ms)`,
  )
  const r = summary.rendering
  console.log(
    `  rendering    ${r.ours}: ${r.wallMs.ours} ms wall (${r.cpuMs.ours} ms CPU) vs ${r.peer}: ${r.wallMs.peer} ms (${r.cpuMs.peer} ms CPU), ratio ${r.wallMs.ratio}x (target <= 0.5x: ${r.target.met ? 'met' : 'NOT met'}; helm ${r.helm})`,
  )
  console.log(
    `  floor        ${r.helmParallel.label}: ${r.helmParallel.wallMs} ms wall, ${r.helmParallel.cpuMs} ms CPU, ratio ${r.helmParallel.ratio}x on ${r.cores} cores; lint takes ${r.lintOverFloor}x of it`,
  )
}
if (opts.keep) console.error(`kept ${dir}`)
else rmSync(dir, {recursive: true, force: true})
