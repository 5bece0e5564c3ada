import type {ChalkInstance} from 'chalk'

import {isPending} from './release.js'

/** helm's timestamps (RFC 3339, nanoseconds, any offset) as a short UTC time for tables. */
export function shortTime(rfc3339: string): string {
  if (!rfc3339) return '-'
  const time = new Date(rfc3339)
  if (Number.isNaN(time.getTime())) return rfc3339
  return `${time.toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

/** Failed and pending-* stand out; deployed stays plain. */
export function statusColor(status: string, chalk: ChalkInstance): ((s: string) => string) | undefined {
  if (status === 'failed') return chalk.red
  if (isPending(status) || status === 'uninstalling') return chalk.yellow
  if (status === 'superseded' || status === 'uninstalled') return chalk.dim
  return undefined
}

export {plural} from '../render/number.js'
