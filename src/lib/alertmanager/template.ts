import {readFileSync} from 'node:fs'

import {isMap, isPair, isScalar, isSeq, parseDocument, type Document, visit} from 'yaml'

import {CliError} from '../errors.js'

/**
 * The runbook's `alertmanager-secret.yaml-template` holds `${NAME}` placeholders where the
 * webhook URLs go ("Make sure to insert the webhook urls before applying"). `$${` stands for a
 * literal `${` in case a template ever needs one.
 */
const placeholderPattern = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g

/** Keys whose value Alertmanager parses as a URL: url, api_url, slack_api_url, webhook_url... */
export function isUrlKey(key: string): boolean {
  return /(^|_)url$/.test(key)
}

export type ValueSource = 'set' | 'values-file' | 'environment'

export interface PlaceholderValues {
  /** Name -> value, already merged by precedence (--set over the values file over the environment). */
  values: Map<string, string>
  /** Where each value came from, for messages (never the value itself). */
  sources: Map<string, ValueSource>
}

const namePattern = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Reads the template or the values file. The path is named in errors, except when it is a URL:
 * a webhook URL pasted where the file name goes must not be printed back.
 */
export function readInput(file: string, what: 'template' | 'values file'): string {
  const flag = what === 'template' ? '--template' : '--values-file'
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) {
    throw new CliError('usage', `the ${flag} value is a URL, not a file path (not shown, as it may be a secret)`, {
      hint:
        what === 'template'
          ? 'pass the template file, e.g. --template alertmanager-secret.yaml-template'
          : 'pass webhook URLs with --set NAME=URL, or put NAME=URL lines in the file given to --values-file',
    })
  }
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as {code?: string}).code ?? 'unreadable'
    throw new CliError('usage', `${what} ${file} cannot be read (${code})`, {hint: `check the path given to ${flag}`})
  }
}

/**
 * Parses repeated `--set NAME=VALUE` flags. A refused one is named by its position, never
 * echoed: `--set "$URL"` (the NAME= forgotten) would otherwise print the webhook URL.
 */
export function parseSetFlags(sets: readonly string[]): Map<string, string> {
  const values = new Map<string, string>()
  sets.forEach((set, index) => {
    const eq = set.indexOf('=')
    const name = eq === -1 ? set : set.slice(0, eq)
    if (eq === -1 || !namePattern.test(name)) {
      const which = sets.length === 1 ? 'the --set value' : `--set value ${index + 1} of ${sets.length}`
      throw new CliError(
        'usage',
        `${which} is not NAME=VALUE (${eq === -1 ? 'it has no "="' : 'the part before "=" is not a placeholder name'}; its text is not shown, as it may be a secret)`,
        {
          hint: 'pass each placeholder as --set NAME=VALUE (NAME as in ${NAME} in the template), e.g. --set SLACK_WEBHOOK_URL="$SLACK_URL"',
        },
      )
    }
    values.set(name, set.slice(eq + 1))
  })
  return values
}

/**
 * Where a YAML error is, in words, without yaml's message: its message can quote the source
 * (an alias or tag name, and the lines after the first show the text itself), and the source
 * here holds webhook URLs.
 */
export function yamlErrorWhere(error: {code: string; linePos?: [{line: number; col: number}, ...unknown[]]}): string {
  const what = error.code.toLowerCase().replaceAll('_', ' ')
  const at = error.linePos?.[0]
  return at ? `${what} at line ${at.line}, column ${at.col}` : what
}

/**
 * A values file is either dotenv lines (`NAME=value`, `#` comments, optional quotes) or a YAML
 * mapping (`NAME: value`). It is dotenv when every non-blank, non-comment line looks like
 * NAME=..., otherwise YAML. Messages never include a value.
 */
export function parseValuesFile(text: string, file: string): {values: Map<string, string>; format: 'env' | 'yaml'} {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '' && !line.trim().startsWith('#'))
  const envLine = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/
  if (lines.length > 0 && lines.every((line) => envLine.test(line))) {
    const values = new Map<string, string>()
    for (const line of lines) {
      const [, name, raw] = envLine.exec(line)!
      let value = raw.trim()
      if (value.length >= 2 && ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))) value = value.slice(1, -1)
      values.set(name, value)
    }
    return {values, format: 'env'}
  }
  const doc = parseDocument(text)
  if (doc.errors.length > 0) {
    throw new CliError('usage', `values file ${file} is neither NAME=value lines nor YAML (${yamlErrorWhere(doc.errors[0])})`, {
      hint: 'write one NAME=value per line, or a YAML mapping of NAME: value',
    })
  }
  const parsed: unknown = doc.toJS()
  if (parsed === null || parsed === undefined) return {values: new Map(), format: 'yaml'}
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliError('usage', `values file ${file} is YAML but not a mapping of NAME: value`, {hint: 'write one NAME: value per line'})
  }
  const values = new Map<string, string>()
  for (const [index, [name, value]] of Object.entries(parsed as Record<string, unknown>).entries()) {
    // A key that is not a NAME may be a pasted secret: named by position only.
    if (!namePattern.test(name)) {
      throw new CliError('usage', `values file ${file}: key ${index + 1} is not a placeholder name (its text is not shown, as it may be a secret)`, {
        hint: 'write one NAME: value (or NAME=value) per line, NAME as in ${NAME} in the template',
      })
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new CliError('usage', `values file ${file}: ${name} is not a plain string`, {hint: 'give each placeholder a single string value'})
    }
    values.set(name, String(value))
  }
  return {values, format: 'yaml'}
}

/** Merges the three sources by precedence: --set, then the values file, then the environment. */
export function mergeValues(
  set: Map<string, string>,
  valuesFile: Map<string, string> | undefined,
  env: NodeJS.ProcessEnv,
  names: Iterable<string>,
): PlaceholderValues {
  const values = new Map<string, string>()
  const sources = new Map<string, ValueSource>()
  for (const name of names) {
    if (set.has(name)) {
      values.set(name, set.get(name)!)
      sources.set(name, 'set')
    } else if (valuesFile?.has(name)) {
      values.set(name, valuesFile.get(name)!)
      sources.set(name, 'values-file')
    } else if (env[name] !== undefined) {
      values.set(name, env[name]!)
      sources.set(name, 'environment')
    }
  }
  return {values, sources}
}

export interface PlaceholderUse {
  name: string
  /** Where in the YAML it sits, e.g. receivers[0].slack_configs[0].api_url */
  path: string
  /** The mapping key it is the value of (for URL checks), if any. */
  key?: string
}

export interface RenderedTemplate {
  /** The rendered Alertmanager configuration. Held in memory only: it contains the webhook URLs. */
  text: string
  uses: PlaceholderUse[]
  /** The values that were substituted (for redacting them from any output). */
  substituted: string[]
}

function parseTemplate(text: string, file: string): Document {
  const doc = parseDocument(text, {keepSourceTokens: false})
  if (doc.errors.length > 0) {
    throw new CliError('usage', `template ${file} is not valid YAML: ${yamlErrorWhere(doc.errors[0])}`, {
      hint: 'fix the template; placeholders must sit inside YAML values, e.g. api_url: ${SLACK_URL}',
    })
  }
  return doc
}

function pathOf(ancestors: readonly unknown[], node: unknown): string {
  const parts: string[] = []
  const chain = [...ancestors, node]
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i]
    const child = chain[i + 1]
    if (isSeq(parent)) parts.push(`[${parent.items.indexOf(child as never)}]`)
    else if (isMap(parent)) {
      const pair = child as {key?: unknown}
      parts.push(`.${isScalar(pair.key) ? String(pair.key.value) : '?'}`)
    }
  }
  return parts.join('').replace(/^\./, '')
}

/** The mapping key a scalar is the value of, if it is one. */
function valueKeyOf(ancestors: readonly unknown[], node: unknown): string | undefined {
  const pair = ancestors.at(-1)
  if (isPair(pair) && pair.value === node && isScalar(pair.key)) return String(pair.key.value)
  return undefined
}

/** Lists the placeholders a template uses (names, and where). */
export function findPlaceholders(templateText: string, file: string): PlaceholderUse[] {
  const doc = parseTemplate(templateText, file)
  const uses: PlaceholderUse[] = []
  visit(doc, {
    Scalar(_key, node, ancestors) {
      if (typeof node.value !== 'string') return
      for (const match of node.value.matchAll(placeholderPattern)) {
        if (!match[1]) continue
        uses.push({name: match[1], path: pathOf(ancestors, node), key: valueKeyOf(ancestors, node)})
      }
    },
  })
  return uses
}

/** True when the string is an http(s) URL with a host, as Alertmanager's ParseURL demands. */
export function isHttpUrl(value: string): boolean {
  // Go's url.Parse rejects control characters and spaces; WHATWG URL would quietly strip them.
  // eslint-disable-next-line no-control-regex -- control characters are what it looks for
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return false
  try {
    const url = new URL(value)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== ''
  } catch {
    return false
  }
}

/**
 * Fills `${NAME}` placeholders inside YAML scalars (never by text splicing, so a value with a
 * colon, quote or `#` cannot change the document's structure). Refuses when a placeholder has no
 * value or a value meant for a URL key is not an http(s) URL. Never puts a value in a message.
 */
export function renderTemplate(templateText: string, file: string, values: PlaceholderValues): RenderedTemplate {
  const uses = findPlaceholders(templateText, file)
  const missing = [...new Set(uses.filter((use) => !values.values.has(use.name)).map((use) => use.name))]
  if (missing.length > 0) {
    const where = uses.find((use) => use.name === missing[0])!.path
    throw new CliError(
      'usage',
      `template ${file}: ${missing.length === 1 ? 'placeholder' : 'placeholders'} ${missing.map((n) => `\${${n}}`).join(', ')} ${missing.length === 1 ? 'has' : 'have'} no value (first used at ${where})`,
      {
        hint: `pass ${missing.map((n) => `--set ${n}=…`).join(' ')}, put ${missing.length === 1 ? 'it' : 'them'} in --values-file, or export ${missing.length === 1 ? 'it' : 'them'} in the environment`,
      },
    )
  }
  for (const use of uses) {
    if (use.key && isUrlKey(use.key)) {
      const value = substitute(findScalarValue(templateText, use), values.values)
      if (!isHttpUrl(value)) {
        throw new CliError(
          'usage',
          `template ${file}: ${use.path} must be an http(s) URL, but the value of \${${use.name}} (from ${describeSource(values.sources.get(use.name))}) does not make one`,
          {
            hint: `check ${use.name}; it should look like https://hooks.slack.com/services/…`,
          },
        )
      }
    }
  }
  // Splice each placeholder-bearing scalar in the template's own text, so every other byte of
  // the template (comments, quoting, indentation) reaches Alertmanager as written.
  const splices: Array<{start: number; end: number; text: string}> = []
  visit(parseTemplate(templateText, file), {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || !node.range) return
      const filled = substitute(node.value, values.values)
      if (filled === node.value && !node.value.includes('$${')) return
      splices.push({start: node.range[0], end: node.range[1], text: scalarSource(filled, node.type === 'PLAIN')})
    },
  })
  let text = templateText
  for (const splice of splices.sort((a, b) => b.start - a.start)) text = text.slice(0, splice.start) + splice.text + text.slice(splice.end)
  const substituted = [...new Set(uses.map((use) => values.values.get(use.name)!))]
  return {text, uses, substituted}
}

/**
 * The YAML source for a filled-in value: as is when it was a plain scalar and reads back as the
 * same one-line string, otherwise double-quoted (JSON strings are YAML double-quoted scalars).
 */
function scalarSource(value: string, wasPlain: boolean): string {
  if (wasPlain && !/[\n\r]/.test(value)) {
    const doc = parseDocument(`k: ${value}\n`)
    const back: unknown = doc.errors.length === 0 ? doc.toJS() : undefined
    if (back && typeof back === 'object' && (back as {k?: unknown}).k === value && Object.keys(back).length === 1) return value
  }
  return JSON.stringify(value)
}

function describeSource(source: ValueSource | undefined): string {
  switch (source) {
    case 'set':
      return '--set'
    case 'values-file':
      return '--values-file'
    default:
      return 'the environment'
  }
}

function findScalarValue(templateText: string, use: PlaceholderUse): string {
  const doc = parseDocument(templateText)
  let found = ''
  visit(doc, {
    Scalar(_key, node, ancestors) {
      if (typeof node.value === 'string' && node.value.includes(`\${${use.name}}`) && pathOf(ancestors, node) === use.path) {
        found = node.value
        return visit.BREAK
      }
      return undefined
    },
  })
  return found
}

function substitute(text: string, values: Map<string, string>): string {
  return text.replace(placeholderPattern, (match, name: string | undefined) => (name === undefined ? '${' : (values.get(name) ?? match)))
}
