import {Chalk, type ChalkInstance} from 'chalk'

/**
 * Colour is decided per stream: off when the stream is not a terminal, when NO_COLOR is set
 * (https://no-color.org), or when --no-color was passed; FORCE_COLOR turns it on anyway.
 */
export function colorEnabled(stream: NodeJS.WriteStream | {isTTY?: boolean}, env: NodeJS.ProcessEnv = process.env, noColorFlag = false): boolean {
  if (noColorFlag) return false
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true
  if (env.TERM === 'dumb') return false
  return Boolean(stream.isTTY)
}

export function makeChalk(enabled: boolean): ChalkInstance {
  return new Chalk({level: enabled ? 1 : 0})
}
