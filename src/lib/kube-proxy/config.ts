import {createHash} from 'node:crypto'

import {isMap, isScalar, parseDocument} from 'yaml'

import {CliError} from '../errors.js'

/** The ConfigMap key EKS puts the KubeProxyConfiguration under (mounted at /var/lib/kube-proxy-config/config). */
export const configDataKey = 'config'
export const metricsKey = 'metricsBindAddress'
/** kube-proxy's own default: metrics on localhost only, which Prometheus cannot scrape. */
export const defaultMetricsBindAddress = '127.0.0.1:10249'

export interface MetricsBindAddressEdit {
  /** The value before (the default when the key is absent). */
  current: string
  /** The whole config text with only the metricsBindAddress line changed (or appended). */
  updated: string
  changed: boolean
}

/** `IP:port` as kube-proxy's v1alpha1 config takes it: 0.0.0.0:10249, [::]:10249. */
export function isBindAddress(value: string): boolean {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):(\d{1,5})$/.exec(value)
  if (!match) return false
  const port = Number(match[3])
  if (port < 1 || port > 65_535) return false
  if (match[2]) return match[2].split('.').every((octet) => Number(octet) <= 255)
  return match[1].includes(':')
}

function shapeError(where: string, problem: string): CliError {
  return new CliError('conflict', `${where} is not in the shape EKS creates (${problem}); nothing was changed`, {
    hint: 'inspect it with `kubectl -n kube-system get configmap kube-proxy-config -o yaml` and fix it by hand, or restore it from the EKS defaults',
  })
}

/**
 * Reads the KubeProxyConfiguration embedded in the ConfigMap, for checks and for the edit.
 * `where` names the object for messages, e.g. `configmap "kube-proxy-config" in kube-system`.
 */
export function readMetricsBindAddress(configText: string, where: string): string {
  return locate(configText, where).value ?? defaultMetricsBindAddress
}

function locate(configText: string, where: string): {value?: string; range?: [number, number]} {
  const doc = parseDocument(configText)
  if (doc.errors.length > 0) throw shapeError(where, `its "${configDataKey}" is not YAML: ${doc.errors[0].message.split('\n')[0]}`)
  if (!isMap(doc.contents)) throw shapeError(where, `its "${configDataKey}" is not a YAML mapping`)
  const kind = doc.get('kind')
  if (kind !== 'KubeProxyConfiguration') throw shapeError(where, `its "${configDataKey}" has kind ${JSON.stringify(kind ?? null)}, not KubeProxyConfiguration`)
  const node = doc.get(metricsKey, true)
  if (node === undefined) return {}
  if (!isScalar(node) || !node.range || (node.value !== null && typeof node.value !== 'string')) {
    throw shapeError(where, `${metricsKey} is not a plain string`)
  }
  return {value: node.value === null ? undefined : (node.value as string), range: [node.range[0], node.range[1]]}
}

/**
 * Sets metricsBindAddress by rewriting only the bytes of its value (found with the yaml Document
 * API's source ranges), so every other line, comment and key stays byte for byte, as the
 * runbook's `kubectl edit` would leave them. When the key is absent it is appended as one line.
 */
export function setMetricsBindAddress(configText: string, address: string, where: string): MetricsBindAddressEdit {
  const found = locate(configText, where)
  const current = found.value ?? defaultMetricsBindAddress
  if (found.value === address) return {current, updated: configText, changed: false}
  if (found.range) {
    // Keep the value's quoting style: "…" or '…' stay quoted.
    const quote = /^["']/.exec(configText.slice(found.range[0], found.range[1]))?.[0] ?? ''
    const updated = configText.slice(0, found.range[0]) + quote + address + quote + configText.slice(found.range[1])
    return {current, updated, changed: true}
  }
  const separator = configText === '' || configText.endsWith('\n') ? '' : '\n'
  return {current, updated: `${configText}${separator}${metricsKey}: ${address}${configText.endsWith('\n') ? '\n' : ''}`, changed: true}
}

/** A digest of the config text, put on the pod template so pods restart when it changes. */
export function configHash(configText: string): string {
  return `sha256:${createHash('sha256').update(configText).digest('hex').slice(0, 16)}`
}
