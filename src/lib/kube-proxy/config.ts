import {createHash} from 'node:crypto'
import {isDeepStrictEqual} from 'node:util'

import {isMap, isScalar, parseDocument, type YAMLMap} from 'yaml'

import {CliError} from '../errors.js'

/** The ConfigMap key EKS puts the KubeProxyConfiguration under (mounted at /var/lib/kube-proxy-config/config). */
export const configDataKey = 'config'
export const metricsKey = 'metricsBindAddress'
/** kube-proxy's own default: metrics on localhost only, which Prometheus cannot scrape. */
export const defaultMetricsBindAddress = '127.0.0.1:10249'

/**
 * kube-proxy reads its config file as YAML or JSON (it converts YAML to JSON and decodes that
 * strictly), and EKS has shipped both. An edit keeps the file in the format it was in.
 */
export type ConfigFormat = 'json' | 'yaml'

export interface MetricsBindAddressEdit {
  /** The value before (the default when the key is absent). */
  current: string
  /** The whole config text with only the metricsBindAddress value changed (or the key added). */
  updated: string
  changed: boolean
  format: ConfigFormat
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
  return new CliError('conflict', `${where} is not in the shape EKS creates (${problem})`, {
    hint: 'inspect it with `kubectl -n kube-system get configmap kube-proxy-config -o yaml` and fix it by hand, or restore it from the EKS defaults',
  })
}

/** JSON when the whole text is one JSON object (what `JSON.parse` accepts), YAML otherwise. */
export function configFormat(configText: string): ConfigFormat {
  try {
    JSON.parse(configText)
    return 'json'
  } catch {
    return 'yaml'
  }
}

interface Located {
  format: ConfigFormat
  /** The config as plain data, to compare before and after an edit. */
  data: Record<string, unknown>
  map: YAMLMap
  value?: string
  /** Source range of the metricsBindAddress value, when the key is there. */
  range?: [number, number]
}

/** Parses the config the way kube-proxy would accept it, or throws one line naming the problem. */
function locate(configText: string, where: string): Located {
  const format = configFormat(configText)
  const doc = parseDocument(configText)
  if (doc.errors.length > 0) throw shapeError(where, `its "${configDataKey}" is neither JSON nor YAML: ${doc.errors[0].message.split('\n')[0]}`)
  if (!isMap(doc.contents)) throw shapeError(where, `its "${configDataKey}" is not a ${format === 'json' ? 'JSON object' : 'YAML mapping'}`)
  const data = (format === 'json' ? JSON.parse(configText) : doc.toJS()) as Record<string, unknown>
  if (data.kind !== 'KubeProxyConfiguration')
    throw shapeError(where, `its "${configDataKey}" has kind ${JSON.stringify(data.kind ?? null)}, not KubeProxyConfiguration`)
  const map = doc.contents
  const node = map.get(metricsKey, true)
  if (node === undefined) return {format, data, map}
  if (!isScalar(node) || !node.range || (node.value !== null && typeof node.value !== 'string')) {
    throw shapeError(where, `${metricsKey} is not a plain string`)
  }
  return {format, data, map, value: node.value === null ? undefined : (node.value as string), range: [node.range[0], node.range[1]]}
}

/**
 * Reads the KubeProxyConfiguration embedded in the ConfigMap, for checks and for the edit.
 * `where` names the object for messages, e.g. `configmap "kube-proxy-config" in kube-system`.
 */
export function readMetricsBindAddress(configText: string, where: string): string {
  return locate(configText, where).value ?? defaultMetricsBindAddress
}

/** The address as a scalar of the file's format: JSON strings are quoted; YAML only where a plain scalar would not be a string (`[::]:10249`). */
function scalar(address: string, format: ConfigFormat, quote = ''): string {
  if (quote === "'") return `'${address}'`
  if (quote === '"' || format === 'json' || !/^\d[\d.]*:\d+$/.test(address)) return JSON.stringify(address)
  return address
}

function addKey(configText: string, found: Located, address: string): string {
  const {map, format} = found
  const items = map.items
  const key = format === 'json' ? JSON.stringify(metricsKey) : metricsKey
  const pair = `${key}: ${scalar(address, format)}`
  if (map.flow) {
    // {…}: add the pair after the last one, on its own line when the last key has its own line.
    const last = items.at(-1)
    if (!last) {
      const open = map.range![0] + 1
      return `${configText.slice(0, open)}${pair}${configText.slice(open)}`
    }
    const lastKey = last.key as {range?: [number, number, number]}
    const lastEnd = ((last.value ?? last.key) as {range?: [number, number, number]}).range![1]
    const keyStart = lastKey.range![0]
    const lineStart = configText.lastIndexOf('\n', keyStart - 1) + 1
    const indent = configText.slice(lineStart, keyStart)
    const separator = lineStart > 0 && /^[ \t]*$/.test(indent) ? `,\n${indent}` : ', '
    return `${configText.slice(0, lastEnd)}${separator}${pair}${configText.slice(lastEnd)}`
  }
  // A block mapping: one more line at the end of the mapping, at its keys' indentation, before
  // any trailing comment or document end marker.
  const at = map.range![1]
  const firstKeyStart = (items[0]?.key as {range?: [number, number, number]} | undefined)?.range?.[0] ?? 0
  const indent = configText.slice(configText.lastIndexOf('\n', firstKeyStart - 1) + 1, firstKeyStart)
  let before = configText.slice(0, at)
  const after = configText.slice(at)
  if (before !== '' && !before.endsWith('\n')) before += '\n'
  const newline = after === '' && !configText.endsWith('\n') ? '' : '\n'
  return `${before}${/^[ \t]*$/.test(indent) ? indent : ''}${pair}${newline}${after}`
}

/**
 * Sets metricsBindAddress by rewriting only the bytes of its value (found with the yaml Document
 * API's source ranges, which read JSON too), so every other line, comment and key stays byte for
 * byte, as the runbook's `kubectl edit` would leave them. When the key is absent it is added as
 * one more entry in the file's own format (a JSON member or a YAML line). The result is parsed
 * again and must equal the original with only metricsBindAddress set, or nothing is returned to
 * write: an edit that kube-proxy could not read is refused here, before anything changes.
 */
export function setMetricsBindAddress(configText: string, address: string, where: string): MetricsBindAddressEdit {
  const found = locate(configText, where)
  const current = found.value ?? defaultMetricsBindAddress
  if (found.value === address) return {current, updated: configText, changed: false, format: found.format}
  let updated: string
  if (found.range) {
    // Keep the value's quoting style: "…" or '…' stay quoted.
    const quote = /^["']/.exec(configText.slice(found.range[0], found.range[1]))?.[0] ?? ''
    updated = configText.slice(0, found.range[0]) + scalar(address, found.format, quote) + configText.slice(found.range[1])
  } else {
    updated = addKey(configText, found, address)
  }
  verifyEdit(configText, updated, address, where)
  return {current, updated, changed: true, format: found.format}
}

/**
 * Checks that `updated` parses in the same format as `original` and says the same as it, except
 * that metricsBindAddress is `address`. Throws a conflict naming the object otherwise.
 */
export function verifyEdit(original: string, updated: string, address: string, where: string): void {
  const before = locate(original, where)
  let after: Located
  try {
    after = locate(updated, where)
  } catch (error) {
    throw new CliError(
      'conflict',
      `editing metricsBindAddress in ${where} would leave a config kube-proxy cannot read (${error instanceof CliError ? error.message : String(error)})`,
      {
        hint: `set ${metricsKey}: ${address} by hand with \`kubectl -n kube-system edit configmap kube-proxy-config\`, then run the command again`,
      },
    )
  }
  const expected = {...before.data, [metricsKey]: address}
  if (after.format !== before.format || after.value !== address || !isDeepStrictEqual(after.data, expected)) {
    throw new CliError(
      'conflict',
      `editing metricsBindAddress in ${where} would change more than that key (the edited ${before.format.toUpperCase()} reads differently)`,
      {
        hint: `set ${metricsKey}: ${address} by hand with \`kubectl -n kube-system edit configmap kube-proxy-config\`, then run the command again`,
      },
    )
  }
}

/** A digest of the config text, put on the pod template so pods restart when it changes. */
export function configHash(configText: string): string {
  return `sha256:${createHash('sha256').update(configText).digest('hex').slice(0, 16)}`
}
