// A command line that names no command: one line, exit 2, with the closest commands in the form a
// user types ("did you mean `elife-k8s helm list`?"). Never a prompt (oclif's not-found plugin asks
// on a terminal), and never what else was typed: a stray argument may be a webhook URL or a token.
import type {Hook} from '@oclif/core/hooks'

import {reportFailure} from '../lib/cli/report.js'
import {closestCommands} from '../lib/cli/suggest.js'
import {CliError} from '../lib/errors.js'

const hook: Hook.CommandNotFound = async function ({argv = [], config, id}) {
  const all = [...id.split(':'), ...argv]
  const end = all.findIndex((word) => word.startsWith('-'))
  const words = (end === -1 ? all : all.slice(0, end)).filter((word) => word !== '')
  const spaced = (value: string) => value.replaceAll(':', ' ')
  const visible = config.commands.filter((c) => !c.hidden)
  const ids = [...visible.map((c) => c.id), ...visible.flatMap((c) => c.aliases), ...config.topics.map((t) => t.name)].map(spaced)
  const {typed, suggestions, topic} = closestCommands(words, [...new Set(ids)], config.topics.map((t) => spaced(t.name)))
  const bin = config.bin
  const what = typed ? `\`${bin} ${typed}\` is not a command` : `no ${bin} command matches${topic ? ` after \`${bin} ${topic}\`` : ''}`
  const hint = suggestions.length > 0 ? `did you mean ${suggestions.map((s) => `\`${bin} ${s}\``).join(' or ')}?` : `\`${bin}${topic ? ` ${topic}` : ''} --help\` lists them`
  const json = all.includes('--json')
  reportFailure(new CliError('usage', what, {hint}), {json, debug: false, noColor: all.includes('--no-color'), logJson: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)})
}

export default hook
