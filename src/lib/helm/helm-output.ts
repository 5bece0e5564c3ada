import type {ReleaseRow} from './rows.js'

// `helm list -o json|yaml` byte for byte (helm v3 cmd/helm/list.go releaseElement), so scripts
// written for helm's output keep working: pure, with no Kubernetes client.

/** One release as `helm list -o json` shows it, fields in helm's order. */
export interface HelmListElement {
  name: string
  namespace: string
  /** A string, as helm prints it. */
  revision: string
  /** Go's time.Time.String() of the record's last_deployed, or "-". */
  updated: string
  status: string
  chart: string
  app_version: string
}

export function helmListElement(row: ReleaseRow): HelmListElement {
  return {
    name: row.name,
    namespace: row.namespace,
    revision: String(row.revision),
    updated: row.updated ? goTimeString(row.updated) : '-',
    status: row.status,
    chart: row.chart,
    // helm: MISSING when the record has no chart metadata (as the chart column says).
    app_version: row.chart === 'MISSING' ? 'MISSING' : row.appVersion,
  }
}

/**
 * Go's time.Time.String() ("2006-01-02 15:04:05.999999999 -0700 MST") of an RFC 3339 time as
 * helm parsed it from the record: "Z" is UTC; an offset that is the local zone's at that instant
 * is shown with the local zone's name (where Intl knows a name; Go reads tzdata), any other with
 * the offset for a name, as Go's FixedZone(""). Text that is not RFC 3339 is returned as it is.
 */
export function goTimeString(rfc3339: string, localZone: (at: Date) => {offsetMinutes: number; name?: string} = localZoneAt): string {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|([+-])(\d{2}):(\d{2}))$/.exec(rfc3339)
  if (!m) return rfc3339
  const [, date, time, fraction = '', zone, sign, hh, mm] = m
  // Go keeps nanoseconds (9 digits) and prints them without trailing zeros.
  const nanos = fraction.slice(0, 9).replace(/0+$/, '')
  const wall = `${date} ${time}${nanos ? `.${nanos}` : ''}`
  if (zone === 'Z' || zone === 'z') return `${wall} +0000 UTC`
  const offsetMinutes = (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm))
  const numeric = `${sign}${hh}${mm}`
  const local = localZone(new Date(rfc3339))
  const name = local.offsetMinutes === offsetMinutes && local.name ? local.name : numeric
  return `${wall} ${numeric} ${name}`
}

function localZoneAt(at: Date): {offsetMinutes: number; name?: string} {
  const offsetMinutes = -at.getTimezoneOffset()
  const part = new Intl.DateTimeFormat('en-US', {timeZoneName: 'short'}).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value
  // "GMT+1" is ICU's, not tzdata's, name: no name then (Go would print tzdata's, e.g. CET).
  return {offsetMinutes, name: part && /^[A-Z]{2,5}$/.test(part) && part !== 'GMT' ? part : offsetMinutes === 0 ? 'UTC' : undefined}
}

/** Go's encoding/json, as helm's output.EncodeJSON writes it: compact, HTML-safe, one line. */
export function goJson(value: unknown): string {
  return `${JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`
}

/** helm's output.EncodeYAML (sigs.k8s.io/yaml: JSON field names, keys sorted, go-yaml v2 scalars). */
export function goYamlList(elements: readonly HelmListElement[]): string {
  if (elements.length === 0) return '[]\n'
  let out = ''
  for (const element of elements) {
    const keys = Object.keys(element).sort() as Array<keyof HelmListElement>
    keys.forEach((key, i) => {
      out += `${i === 0 ? '- ' : '  '}${key}: ${goYamlScalar(element[key])}\n`
    })
  }
  return out
}

const yaml11Words = new Set([
  'y',
  'Y',
  'yes',
  'Yes',
  'YES',
  'n',
  'N',
  'no',
  'No',
  'NO',
  'true',
  'True',
  'TRUE',
  'false',
  'False',
  'FALSE',
  'on',
  'On',
  'ON',
  'off',
  'Off',
  'OFF',
  '~',
  'null',
  'Null',
  'NULL',
  '.nan',
  '.NaN',
  '.NAN',
  '.inf',
  '.Inf',
  '.INF',
  '+.inf',
  '+.Inf',
  '+.INF',
  '-.inf',
  '-.Inf',
  '-.INF',
  '<<',
])

/** Whether go-yaml v2 would read this plain scalar as something else than a string (YAML 1.1). */
function resolvesToNonString(s: string): boolean {
  if (s === '' || yaml11Words.has(s)) return true
  if (s.startsWith('.')) return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s)
  if (!/^[-+0-9]/.test(s)) return false
  // timestamps (2006-1-2, 2006-1-2T15:4:5Z07:00, 2006-1-2 15:4:5)
  if (/^\d{4}-\d{1,2}-\d{1,2}(?:[Tt]\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})| \d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?)?$/.test(s)) return true
  const plain = s.replaceAll('_', '')
  if (/^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[0-9]+)$/.test(plain)) return true
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(plain)) return true
  // base 60 (1:20), which go-yaml v2 quotes too
  return /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/.test(s)
}

/** Whether libyaml's emitter may write it plain in block context. */
function plainAllowed(s: string): boolean {
  if (/^\s|\s$/.test(s)) return false
  if (/^[#,[\]{}&*!|>'"%@`]/.test(s)) return false
  if (/^[-?:](?:\s|$)/.test(s)) return false
  if (s.startsWith('---') || s.startsWith('...')) return false
  if (/: |:$| #/.test(s)) return false
  // only printable characters (no control characters, no line breaks)
  // eslint-disable-next-line no-control-regex -- control characters are what it looks for
  return !/[\u0000-\u001F\u007F-\u009F\u2028\u2029\uFEFF]/.test(s)
}

export function goYamlScalar(s: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it looks for
  if (resolvesToNonString(s) || /[\u0000-\u001F\u007F-\u009F\u2028\u2029\uFEFF]/.test(s)) return JSON.stringify(s)
  if (!plainAllowed(s)) return `'${s.replaceAll("'", "''")}'`
  return s
}
