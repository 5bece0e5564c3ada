// `elife-k8s token` runs before kubectl's requests, so bin/run.js calls this before loading oclif.
// A cached token costs a process start and one file read: this module loads node built-ins only;
// the AWS SDK is imported only when a token has to be signed.
import {execCredential, execCredentialApiVersion} from './exec-credential.js'
import {type TokenFlags, readCachedToken, tokenCacheFile, tokenCacheKey} from './token-cache.js'

const valueFlags: Record<string, keyof TokenFlags> = {'--cluster': 'cluster', '--region': 'region', '--role-arn': 'roleArn', '--profile': 'profile'}
const ignoredBooleans = new Set(['--json', '--no-color'])

/**
 * The token flags, or undefined for anything this path leaves to oclif (--help, --debug, a
 * missing --cluster, an unknown or repeated flag), which then parses and reports it properly.
 */
export function parseTokenArgs(argv: readonly string[]): {flags: TokenFlags; noColor: boolean} | undefined {
  const flags: Partial<TokenFlags> = {}
  let noColor = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (ignoredBooleans.has(arg)) {
      if (arg === '--no-color') noColor = true
      continue
    }
    const eq = arg.indexOf('=')
    const name = eq === -1 ? arg : arg.slice(0, eq)
    const field = valueFlags[name]
    if (!field || flags[field] !== undefined) return undefined
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1)
    if (value === undefined || value === '' || value.startsWith('--')) return undefined
    flags[field] = value
  }
  return flags.cluster ? {flags: flags as TokenFlags, noColor} : undefined
}

/**
 * Prints the ExecCredential and returns true, or returns false to let oclif run the command.
 * Expected failures (CliError) are reported here as BaseCommand.catch reports them (reportFailure).
 */
export async function runTokenFast(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<boolean> {
  const parsed = parseTokenArgs(argv)
  if (!parsed) return false
  const {flags} = parsed
  const key = tokenCacheKey(flags, env)
  const cached = readCachedToken(tokenCacheFile(env, key), key, Date.now())
  if (cached) {
    process.stdout.write(`${JSON.stringify(execCredential(execCredentialApiVersion(env), cached.token, new Date(cached.expirationTimestamp)))}\n`)
    return true
  }
  try {
    const {getExecCredential} = await import('./token.js')
    const {credential} = await getExecCredential(flags, env)
    process.stdout.write(`${JSON.stringify(credential)}\n`)
    return true
  } catch (error) {
    const {isCliError} = await import('../errors.js')
    // Anything unexpected, and --json's error object, go to oclif (which says so and offers --debug).
    if (!isCliError(error) || error.kind === 'unexpected' || argv.includes('--json')) return false
    const {reportFailure} = await import('../cli/report.js')
    reportFailure(error, {json: false, debug: false, noColor: parsed.noColor, logJson: () => undefined}, env)
    return true
  }
}
