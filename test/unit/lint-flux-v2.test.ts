import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {lintRepository} from '../../src/lib/lint/lint.js'
import {scratchRepos} from '../helpers/repos.js'

// Flux v2 applies only what its Kustomizations' spec.path covers (issue 17, rule 1): in a
// repository run by Flux v2 alone, an object outside every path is never applied (rule
// flux-not-applied, a warning). A repository Flux v1 also runs (fluxd applies every file) is left alone.

const repo = scratchRepos('elife-k8s-lint-flux-v2-').write

const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: prod\n`
const kustomization = (name: string, dir: string) =>
  `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ${dir}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n`

/** A repository as `flux bootstrap` lays it out: clusters/prod holds the sync objects and points at ./apps. */
const bootstrapped: Record<string, string> = {
  'clusters/prod/flux-system/gotk-sync.yaml': `apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: ssh://git@github.com/elifesciences/cluster\n  ref:\n    branch: master\n---\n${kustomization('flux-system', './clusters/prod')}`,
  'clusters/prod/apps.yaml': kustomization('apps', './apps'),
  'clusters/prod/namespaces.yaml':
    'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n',
  'apps/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - journal.yaml\n  - ./base\n',
  'apps/journal.yaml': configMap('journal'),
  'apps/base/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - service.yaml\n',
  'apps/base/service.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: journal\n  namespace: prod\nspec:\n  ports:\n    - port: 80\n',
}

describe("Flux v2: only what the Kustomizations' paths cover is applied", () => {
  it('a bootstrapped repository whose every file is covered lints clean', () => {
    const result = lintRepository({paths: [repo(bootstrapped)], severity: 'warning'})
    expect(result.findings).toEqual([])
  })

  it('reports files outside every path, and files a kustomization.yaml does not list (once per file)', () => {
    const dir = repo({
      ...bootstrapped,
      'infra/monitoring.yaml': `${configMap('monitoring')}---\n${configMap('monitoring-2')}`,
      'apps/unlisted.yaml': configMap('unlisted'),
      'apps/base/extra.yaml': configMap('extra'),
    })
    const result = lintRepository({paths: [dir], severity: 'warning'})
    expect(result.findings.map((f) => [f.rule, f.severity, path.relative(dir, f.file!), f.line, f.message])).toEqual([
      [
        'flux-not-applied',
        'warning',
        'apps/base/extra.yaml',
        1,
        'no Flux Kustomization\'s path (./apps, ./clusters/prod) covers this file, so Flux never applies this ConfigMap "extra"',
      ],
      [
        'flux-not-applied',
        'warning',
        'apps/unlisted.yaml',
        1,
        'no Flux Kustomization\'s path (./apps, ./clusters/prod) covers this file, so Flux never applies this ConfigMap "unlisted"',
      ],
      [
        'flux-not-applied',
        'warning',
        'infra/monitoring.yaml',
        1,
        "no Flux Kustomization's path (./apps, ./clusters/prod) covers this file, so Flux never applies its 2 objects",
      ],
    ])
    expect(result.summary).toMatchObject({errors: 0, warnings: 3})
  })

  it('without a kustomization.yaml, a path covers its whole tree', () => {
    const {'apps/kustomization.yaml': _a, 'apps/base/kustomization.yaml': _b, ...plain} = bootstrapped
    const result = lintRepository({paths: [repo({...plain, 'apps/deep/er/more.yaml': configMap('more'), 'other/x.yaml': configMap('x')})], severity: 'warning'})
    expect(result.findings.map((f) => [f.rule, path.basename(f.file!)])).toEqual([['flux-not-applied', 'x.yaml']])
  })

  it('says nothing where Flux v1 runs too (it applies every file), nor when only part of a repository is linted', () => {
    const helmOperator =
      'apiVersion: helm.fluxcd.io/v1\nkind: HelmRelease\nmetadata:\n  name: app\n  namespace: prod\nspec:\n  chart:\n    repository: https://charts.example.invalid/\n    name: app\n    version: 1.0.0\n'
    const v1 = lintRepository({
      paths: [repo({...bootstrapped, 'infra/monitoring.yaml': configMap('monitoring'), 'releases/app.yaml': helmOperator})],
      severity: 'warning',
      only: ['flux-not-applied'],
    })
    expect(v1.findings).toEqual([])
    const dir = repo({...bootstrapped, 'infra/monitoring.yaml': configMap('monitoring')})
    const part = lintRepository({paths: [path.join(dir, 'clusters'), path.join(dir, 'infra')], severity: 'warning', only: ['flux-not-applied']})
    expect(part.findings).toEqual([])
  })
})
