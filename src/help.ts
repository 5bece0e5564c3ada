// oclif's help (package.json: oclif.helpClass), with two changes: help for a command that does not
// exist is the not-found line (src/lib/cli/not-found.ts); and an example command is wrapped
// only between shell words, never inside one or inside quotes. oclif's wrap breaks a long word
// (an ARN, a jq program) where the column ends, so the line pasted from help no longer works.
import type {Command} from '@oclif/core/command'
import {CommandHelp, Help} from '@oclif/core/help'
import type {Config, HelpOptions} from '@oclif/core/interfaces'

import {reportUnknownCommand} from './lib/cli/not-found.js'

/**
 * A command line as shell words: split at blanks outside quotes; quotes and backslashes kept as
 * written, so joining the words with one space gives the line back.
 */
export function shellWords(line: string): string[] {
  const words: string[] = []
  let word = ''
  let quote: '"' | "'" | undefined
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quote) {
      word += c
      if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i]
      else if (c === quote) quote = undefined
    } else if (c === ' ' || c === '\t') {
      if (word) words.push(word)
      word = ''
    } else {
      word += c
      if (c === '\\' && i + 1 < line.length) word += line[++i]
      else if (c === '"' || c === "'") quote = c
    }
  }
  if (word) words.push(word)
  return words
}

// eslint-disable-next-line no-control-regex -- colour codes are what it strips
const visibleLength = (text: string) => text.replaceAll(/\u001B\[[0-9;]*m/g, '').length

/**
 * A command line in lines of at most `width` columns, ending in ` <separator>` but the last,
 * the continuation lines indented by two. A word longer than a line stays whole on a line of its own.
 */
export function wrapCommand(line: string, width: number, separator = '\\'): string[] {
  const lines: string[] = []
  let current = ''
  for (const word of shellWords(line)) {
    const indent = lines.length === 0 ? '' : '  '
    const room = width - indent.length - (separator.length + 1)
    if (current && visibleLength(current) + 1 + visibleLength(word) > room) {
      lines.push(indent + current)
      current = word
    } else {
      current = current ? `${current} ${word}` : word
    }
  }
  if (current || lines.length === 0) lines.push((lines.length === 0 ? '' : '  ') + current)
  return lines.map((l, i) => (i < lines.length - 1 ? `${l} ${separator}` : l))
}

/**
 * oclif renders every text of a help through ejs (for `<%= config.bin %>`), which compiles each
 * text into a function: ~5 ms of a --help. A text without an ejs tag renders as itself (every ejs
 * token has `<%` or `%>`: a stray `%>` would be dropped, so such a text still goes to ejs).
 */
export function plainTextAsIs(render: (text: string) => string): (text: string) => string {
  return (text) => (typeof text === 'string' && !text.includes('<%') && !text.includes('%>') ? text : render(text))
}

export class ElifeCommandHelp extends CommandHelp {
  constructor(command: Command.Loadable, config: Config, opts: HelpOptions) {
    super(command, config, opts)
    this.render = plainTextAsIs(this.render)
  }

  protected override examples(examples: Command.Example[] | string | undefined): string | undefined {
    if (!examples || examples.length === 0) return undefined
    const list = Array.isArray(examples) ? examples : [examples]
    // Plain strings (none of ours) are oclif's.
    if (list.some((example) => typeof example === 'string')) return super.examples(examples)
    const separator = this.config.platform === 'win32' ? (this.config.shell.includes('powershell') ? '`' : '^') : '\\'
    // Section indent plus example indent, as oclif's.
    const indentation = this.indentSpacing * 2
    return (list as Array<{command: string; description: string}>)
      .map(({command, description}) => {
        const rendered = this.render(command)
        // Every example is a command line (some start with an environment variable): all get the prompt.
        const line = rendered.startsWith('$ ') ? rendered : `$ ${rendered}`
        const lines = wrapCommand(line, this.opts.maxWidth - indentation, separator)
        return `${this.wrap(description, indentation)}\n\n${this.indent(lines.join('\n'))}`
      })
      .join('\n\n')
  }
}

export default class ElifeHelp extends Help {
  protected override CommandHelpClass = ElifeCommandHelp

  constructor(config: Config, opts?: Partial<HelpOptions>) {
    super(config, opts)
    this.render = plainTextAsIs(this.render)
  }

  /** `--help` for a command that does not exist: the not-found line (never oclif's, which repeats every word typed). */
  public override async showHelp(argv: string[]): Promise<void> {
    const words = argv.filter((word) => word !== '--help' && word !== '-h' && word !== 'help')
    const subject = words.filter((word) => !word.startsWith('-'))
    if (subject.length > 0 && !this.config.findCommand(subject.join(':')) && !this.config.findTopic(subject.join(':'))) {
      reportUnknownCommand(this.config, words)
      return
    }
    await super.showHelp(argv)
  }
}
