import {execFile} from 'node:child_process'
import {readdirSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

/**
 * Upstream files (CRDs) at pinned versions, taken from the Go module proxy with `go mod download`
 * into Go's module cache (outside the repository): the real objects, never copies of our own.
 */
export const upstreamModules = {
  flagger: {module: 'github.com/fluxcd/flagger', version: 'v1.36.1'},
  prometheusOperator: {module: 'github.com/prometheus-operator/prometheus-operator', version: 'v0.85.0'},
  // Flux v2's Kustomization (the version lint's schemas use: scripts/lint-schemas.ts).
  kustomizeController: {module: 'github.com/fluxcd/kustomize-controller', version: 'v1.7.3'},
  // Flux v2's HelmRelease (v2, v2beta2), as lint bundles it.
  helmController: {module: 'github.com/fluxcd/helm-controller', version: 'v1.4.3'},
} as const

const dirs = new Map<string, Promise<string>>()

export function moduleDir(name: keyof typeof upstreamModules): Promise<string> {
  const {module, version} = upstreamModules[name]
  let dir = dirs.get(name)
  if (!dir) {
    dir = promisify(execFile)('go', ['mod', 'download', '-json', `${module}@${version}`], {
      env: {...process.env, GOFLAGS: '-mod=mod'},
      maxBuffer: 16 * 1024 * 1024,
    }).then(({stdout}) => {
      const info = JSON.parse(stdout) as {Dir?: string; Error?: string}
      if (!info.Dir) throw new Error(`go mod download ${module}@${version}: ${info.Error ?? 'no directory'}`)
      return info.Dir
    })
    dirs.set(name, dir)
  }
  return dir
}

/** The CRD files the doctor and lint tests install: Flagger's Canary and the Prometheus operator's kinds. */
export async function upstreamCrdFiles(): Promise<{flagger: string; prometheus: string[]}> {
  const flagger = path.join(await moduleDir('flagger'), 'artifacts/flagger/crd.yaml')
  const crdDir = path.join(await moduleDir('prometheusOperator'), 'example/prometheus-operator-crd')
  const prometheus = ['prometheuses', 'prometheusrules', 'servicemonitors'].map((kind) => path.join(crdDir, `monitoring.coreos.com_${kind}.yaml`))
  return {flagger, prometheus}
}

/** Flux v2's Kustomization CRD from kustomize-controller (status.history, the real schema). */
export async function upstreamKustomizationCrd(): Promise<string> {
  return path.join(await moduleDir('kustomizeController'), 'config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml')
}

/** Flux v2's HelmRelease CRD from helm-controller (the one lint bundles). */
export async function upstreamFluxHelmReleaseCrd(): Promise<string> {
  return path.join(await moduleDir('helmController'), 'config/crd/bases/helm.toolkit.fluxcd.io_helmreleases.yaml')
}

/**
 * The Flux v2 CRDs the module proxy does not serve, committed unchanged under scripts/crds/ (each
 * directory's README names repository, tag and path): image automation and notification.
 */
export function vendoredFluxCrdFiles(): string[] {
  const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/crds')
  return readdirSync(root)
    .sort()
    .flatMap((dir) =>
      readdirSync(path.join(root, dir))
        .filter((file) => file.endsWith('.yaml'))
        .sort()
        .map((file) => path.join(root, dir, file)),
    )
}
