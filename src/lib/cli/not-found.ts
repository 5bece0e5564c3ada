// A command line that names no command (src/hooks/not-found.ts, and `--help` for one in src/help.ts):
// one line, exit 2, with the closest commands in the form a user types ("did you mean
// `elife-k8s helm list`?"). Never a prompt (oclif's not-found plugin asks on a terminal), and never
// what else was typed: a stray argument may be a webhook URL or a token.
import type {Config} from '@oclif/core/interfaces'

import {CliError} from '../errors.js'
import {reportFailure} from './report.js'
import {closestCommands} from './suggest.js'

/** `typed`: the words after the program name, flags included (only the words before the first flag count). */
export function reportUnknownCommand(config: Config, typed: readonly string[]): void {
  const end = typed.findIndex((word) => word.startsWith('-'))
  const words = (end === -1 ? typed : typed.slice(0, end)).filter((word) => word !== '')
  const spaced = (value: string) => value.replaceAll(':', ' ')
  const visible = config.commands.filter((c) => !c.hidden)
  const commandIds = new Set([...visible.map((c) => c.id), ...visible.flatMap((c) => c.aliases)].map(spaced))
  const ids = [...commandIds, ...config.topics.map((t) => spaced(t.name))]
  // A real command followed by words it takes no argument for (`helm list tok-...`): say so, without the words.
  for (let n = words.length - 1; n > 0; n--) {
    const command = words.slice(0, n).join(' ')
    if (!commandIds.has(command)) continue
    const extra = words.length - n
    return fail(
      typed,
      `\`${config.bin} ${command}\` takes no argument${extra === 1 ? '' : 's'} (${extra} given, not shown)`,
      `see \`${config.bin} ${command} --help\``,
    )
  }
  const {
    typed: shown,
    suggestions,
    topic,
  } = closestCommands(
    words,
    [...new Set(ids)],
    config.topics.map((t) => spaced(t.name)),
  )
  const bin = config.bin
  const what = shown ? `\`${bin} ${shown}\` is not a command` : `no ${bin} command matches${topic ? ` after \`${bin} ${topic}\`` : ''}`
  const hint =
    suggestions.length > 0
      ? `did you mean ${suggestions.map((s) => `\`${bin} ${s}\``).join(' or ')}?`
      : `\`${bin}${topic ? ` ${topic}` : ''} --help\` lists them`
  fail(typed, what, hint)
}

function fail(typed: readonly string[], what: string, hint: string): void {
  reportFailure(new CliError('usage', what, {hint}), {
    json: typed.includes('--json'),
    debug: false,
    noColor: typed.includes('--no-color'),
    logJson: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  })
}
