// `elife-k8s token` runs before kubectl's requests, so bin/run.js calls this before loading oclif.
// A cached token costs a process start and one file read: this module loads node built-ins only;
// the AWS SDK is imported only when a token has to be signed.
import {execCredential, execCredentialApiVersion} from './exec-credential.js'
import {type TokenFlags, readCachedToken, tokenCacheFile, tokenCacheKey} from './token-cache.js'
import {parseFastFlags} from '../cli/fast.js'
import {tokenFlags, tokenGlobalFlags} from '../cli/flags.js'

/** What the token fast path parses: the command's own flags (declared once, ./cli/flags.ts) and --no-color. */
const tokenFastFlags = {...tokenFlags, 'no-color': tokenGlobalFlags['no-color']}

/**
 * The token flags, or undefined for anything this path leaves to oclif (--help, --debug, --json,
 * a missing --cluster, an unknown or repeated flag), which then parses and reports it properly.
 */
export function parseTokenArgs(argv: readonly string[]): {flags: TokenFlags; noColor: boolean} | undefined {
  const parsed = parseFastFlags(argv, tokenFastFlags)
  if (!parsed || typeof parsed.cluster !== 'string') return undefined
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined)
  return {
    flags: {cluster: parsed.cluster, region: text(parsed.region), roleArn: text(parsed['role-arn']), profile: text(parsed.profile)},
    noColor: parsed['no-color'] === true,
  }
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
    // Anything unexpected goes to oclif (which says so and offers --debug).
    if (!isCliError(error) || error.kind === 'unexpected') return false
    const {reportFailure} = await import('../cli/report.js')
    reportFailure(error, {json: false, debug: false, noColor: parsed.noColor, logJson: () => undefined}, env)
    return true
  }
}
