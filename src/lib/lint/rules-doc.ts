import type {Rule} from '../rules/types.js'

/**
 * docs/lint-rules.md, made from the rules themselves so that it cannot drift from them
 * (test/unit/lint-engine.test.ts compares the file with this). Regenerate with
 *   npx tsx -e "import {writeRulesDoc} from './src/lib/lint/rules-doc.ts'; writeRulesDoc()"
 */
export function renderRulesDoc(rules: readonly Rule[]): string {
  const lines = [
    '# `elife-k8s lint` rules',
    '',
    'Generated from `src/lib/rules/` (see `src/lib/lint/rules-doc.ts`); every rule runs unless `--rule` or `--skip-rule` says otherwise.',
    'An **error** makes `lint` exit 6; a **warning** is reported and exits 0.',
    '',
    'Silence one finding with `# elife-k8s:ignore <rule-id>[,<rule-id>] <reason>` at the end of its line or on the line above it;',
    'on the lines before the first key of a document it silences those rules for the whole object. A comment without a reason silences nothing (`ignore-comment` says so).',
    '',
  ]
  const groups = [...new Set(rules.map((rule) => rule.group))]
  for (const group of groups) {
    lines.push(`## ${group}`, '', '| rule | severity | checks | hint |', '| --- | --- | --- | --- |')
    for (const rule of rules.filter((r) => r.group === group)) {
      lines.push(`| \`${rule.id}\` | ${rule.severity} | ${escape(rule.summary)} | ${escape(rule.hint)} |`)
    }
    lines.push('')
  }
  return lines.join('\n')
}

function escape(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('*', '\\*')
}

export async function writeRulesDoc(): Promise<void> {
  const {writeFileSync} = await import('node:fs')
  const {lintRules} = await import('../rules/registry.js')
  writeFileSync('docs/lint-rules.md', renderRulesDoc(lintRules))
}
