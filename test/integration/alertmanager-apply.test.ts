import {randomBytes} from 'node:crypto'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {PatchStrategy, setHeaderOptions, type V1Secret, Watch} from '@kubernetes/client-node'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ExitCode} from '../../src/lib/errors.js'
import {repoRoot, runCli, type RunResult} from '../helpers/cli.js'
import {clusterClients, kubeconfig, viewerKubeconfig} from '../helpers/cluster.js'

// End to end against the real local cluster: the built CLI in its own process; the Secret is
// read back through the API and watched while the CLI runs.
const suffix = randomBytes(4).toString('hex')
const namespace = `am-test-${suffix}`
const secretName = 'alertmanager-prometheus-operator'
// Test webhook URLs: every run's stdout and stderr is scanned for them.
const slackUrl = `https://hooks.slack.com/services/T0${suffix}/B0${suffix}/slackSecret${suffix}`
const opsUrl = `https://ops.example.org/hooks/opsSecret${suffix}?token=tok${suffix}`
const secretsToHide = [slackUrl, opsUrl, `slackSecret${suffix}`, `opsSecret${suffix}`, `tok${suffix}`]

const templateFile = path.join(repoRoot, 'test/fixtures/alertmanager/alertmanager-secret.yaml-template')
const template = readFileSync(templateFile, 'utf8')
const rendered = template.replace('${SLACK_WEBHOOK_URL}', slackUrl).replace('${OPS_WEBHOOK_URL}', opsUrl)
const oldConfig = 'route:\n  receiver: old\nreceivers:\n  - name: old\n    webhook_configs:\n      - url: https://old.example.org/hook\n'

const {kc, core} = clusterClients()
const tmp = mkdtempSync(path.join(tmpdir(), 'am-test-'))
const valuesFile = path.join(tmp, 'alertmanager.env')
writeFileSync(valuesFile, `# test values\nSLACK_WEBHOOK_URL=${slackUrl}\nOPS_WEBHOOK_URL="${opsUrl}"\n`)

const runs: RunResult[] = []
async function cli(args: string[], env: NodeJS.ProcessEnv = {}, asUser = kubeconfig): Promise<RunResult> {
  const result = await runCli(['alertmanager', 'apply', '--kubeconfig', asUser, ...args], {env})
  runs.push(result)
  for (const secret of secretsToHide) {
    expect(result.stdout, 'stdout leaks a webhook URL').not.toContain(secret)
    expect(result.stderr, 'stderr leaks a webhook URL').not.toContain(secret)
  }
  return result
}

async function readSecret(name = secretName): Promise<V1Secret | undefined> {
  try {
    return await core.readNamespacedSecret({name, namespace})
  } catch {
    return undefined
  }
}

function config(secret: V1Secret | undefined): string | undefined {
  const data = secret?.data?.['alertmanager.yaml']
  return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8')
}

/** Every event on the namespace's secrets while `fn` runs. */
async function watchSecrets<T>(fn: () => Promise<T>): Promise<{result: T; events: string[]}> {
  const events: string[] = []
  const watch = new Watch(kc)
  const request = await watch.watch(
    `/api/v1/namespaces/${namespace}/secrets`,
    {},
    (type, object: V1Secret) => events.push(`${type} ${object.metadata?.name}`),
    () => {},
  )
  try {
    const result = await fn()
    // let the last events arrive
    const rv = (await readSecret())?.metadata?.resourceVersion
    for (let i = 0; i < 50 && !events.some((e) => e.startsWith('MODIFIED') || e.startsWith('ADDED')) && rv; i++) await new Promise((r) => setTimeout(r, 100))
    return {result, events}
  } finally {
    request.abort()
  }
}

function errorLines(result: RunResult): string[] {
  return result.stderr.split('\n').filter((line) => line.startsWith('error:'))
}

beforeAll(async () => {
  await core.createNamespace({body: {metadata: {name: namespace}}})
})

afterAll(async () => {
  await core.deleteNamespace({name: namespace}).catch(() => {})
  expect(runs.length).toBeGreaterThan(10)
})

describe('alertmanager apply', () => {
  it('creates the secret when it is missing, from --values-file (dotenv)', async () => {
    const result = await cli(['-n', namespace, '--template', templateFile, '--values-file', valuesFile, '--yes'])
    expect(result.exitCode, result.stderr).toBe(0)
    // stdout is the redacted diff (the data); the final line is on stderr, once
    expect(result.stdout.split('\n')[0]).toBe(`new alertmanager.yaml in secret "${secretName}" (${namespace}), secret values redacted:`)
    expect(result.stderr.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^secret "${secretName}" in ${namespace} now holds the new alertmanager.yaml`))
    expect(result.stderr.split('now holds the new')).toHaveLength(2)
    expect(config(await readSecret())).toBe(rendered)
    expect((await readSecret(`${secretName}-previous`))?.metadata?.annotations?.['alertmanager.elife-k8s.elifesciences.org/previous-state']).toBe('absent')
    // nothing earlier to restore: refused, nothing changed
    const rv = (await readSecret())?.metadata?.resourceVersion
    const rollback = await cli(['-n', namespace, '--rollback', '--yes'])
    expect(rollback.exitCode).toBe(ExitCode.CONFLICT)
    expect(errorLines(rollback)).toHaveLength(1)
    expect((await readSecret())?.metadata?.resourceVersion).toBe(rv)
  })

  it('replaces the config in place (no DELETED event), keeps labels, annotations and other keys, and --rollback restores it exactly', async () => {
    // the runbook's state: a secret made by `kubectl create secret generic --from-file`, plus extras
    const existing = await readSecret()
    await core.replaceNamespacedSecret({
      name: secretName,
      namespace,
      body: {
        ...existing,
        metadata: {...existing!.metadata, labels: {team: 'platform'}, annotations: {'example.org/owner': 'ops'}},
        data: {'alertmanager.yaml': Buffer.from(oldConfig).toString('base64'), 'extra.tmpl': Buffer.from('{{ define "x" }}x{{ end }}').toString('base64')},
      },
    })
    const before = await readSecret()

    const dry = await cli([
      '-n',
      namespace,
      '--template',
      templateFile,
      '--set',
      `SLACK_WEBHOOK_URL=${slackUrl}`,
      '--set',
      `OPS_WEBHOOK_URL=${opsUrl}`,
      '--dry-run',
    ])
    expect(dry.exitCode, dry.stderr).toBe(0)
    expect(dry.stdout).toContain('secret values redacted')
    expect(dry.stdout).toContain('+   slack_api_url: https://hooks.slack.com/…redacted')
    expect(dry.stdout).toContain('-   - name: old')
    // stdout is the redacted diff only; the plan is on stderr
    expect(dry.stdout.split('\n')[0]).toBe(`changes to alertmanager.yaml in secret "${secretName}" (${namespace}), secret values redacted:`)
    expect(
      dry.stdout
        .trimEnd()
        .split('\n')
        .slice(1)
        .every((line) => /^[-+ @]/.test(line)),
    ).toBe(true)
    expect(dry.stderr).toContain(`  - replace alertmanager.yaml in secret "${secretName}" in ${namespace}\n`)
    expect(dry.stderr).toContain('dry run: nothing was changed')
    expect((await readSecret())?.metadata?.resourceVersion).toBe(before?.metadata?.resourceVersion)

    // no terminal and no --yes: refused, nothing changed
    const unconfirmed = await cli(['-n', namespace, '--template', templateFile, '--values-file', valuesFile])
    expect(unconfirmed.exitCode).toBe(ExitCode.ABORTED)
    expect((await readSecret())?.metadata?.resourceVersion).toBe(before?.metadata?.resourceVersion)

    const {result, events} = await watchSecrets(() =>
      cli(['-n', namespace, '--template', templateFile, '--set', `SLACK_WEBHOOK_URL=${slackUrl}`, '--yes'], {OPS_WEBHOOK_URL: opsUrl}),
    )
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stderr).toContain('SLACK_WEBHOOK_URL from --set, OPS_WEBHOOK_URL from the environment')
    expect(events.filter((e) => e.startsWith('DELETED'))).toEqual([])
    expect(events).toContain(`MODIFIED ${secretName}`)
    const after = await readSecret()
    expect(config(after)).toBe(rendered)
    expect(after?.metadata?.uid).toBe(before?.metadata?.uid)
    expect(after?.metadata?.labels).toEqual({team: 'platform'})
    expect(after?.metadata?.annotations).toEqual({'example.org/owner': 'ops'})
    expect(after?.data?.['extra.tmpl']).toBe(before?.data?.['extra.tmpl'])
    expect(config(await readSecret(`${secretName}-previous`))).toBe(oldConfig)

    // applying the same again changes nothing
    const again = await cli(['-n', namespace, '--template', templateFile, '--values-file', valuesFile, '--yes'])
    expect(again.stdout).toBe('')
    expect(again.stderr).toContain('already holds this alertmanager.yaml; nothing to change')
    expect((await readSecret())?.metadata?.resourceVersion).toBe(after?.metadata?.resourceVersion)

    const back = await watchSecrets(() => cli(['-n', namespace, '--rollback', '--yes']))
    expect(back.result.exitCode, back.result.stderr).toBe(0)
    expect(back.events.filter((e) => e.startsWith('DELETED'))).toEqual([])
    const restored = await readSecret()
    expect(restored?.data).toEqual(before?.data)
    expect(restored?.metadata?.labels).toEqual({team: 'platform'})
    expect(restored?.metadata?.annotations).toEqual({'example.org/owner': 'ops'})
    // a second rollback undoes the first
    const forward = await cli(['-n', namespace, '--rollback', '--yes', '--json'])
    expect(forward.exitCode, forward.stderr).toBe(0)
    expect(JSON.parse(forward.stdout)).toMatchObject({mode: 'rollback', changed: true, secret: secretName, namespace})
    expect(config(await readSecret())).toBe(rendered)
  })

  it('refuses bad input with one line and changes nothing', async () => {
    const rv = (await readSecret())?.metadata?.resourceVersion
    const badTemplate = path.join(tmp, 'bad.yaml-template')
    writeFileSync(badTemplate, 'route:\n  receiver: missing\nreceivers:\n  - name: slack\n    slack_configs:\n      - api_url: ${SLACK_WEBHOOK_URL}\n')
    const cases: Array<[string, string[], number, string, string?]> = [
      ['template missing', ['-n', namespace, '--template', path.join(tmp, 'nope.yaml'), '--yes'], ExitCode.USAGE, 'template'],
      [
        'placeholder unresolved',
        ['-n', namespace, '--template', templateFile, '--set', `SLACK_WEBHOOK_URL=${slackUrl}`, '--yes'],
        ExitCode.USAGE,
        'placeholder ${OPS_WEBHOOK_URL} has no value',
      ],
      [
        'not a URL',
        ['-n', namespace, '--template', templateFile, '--set', `SLACK_WEBHOOK_URL=slackSecret${suffix}`, '--set', `OPS_WEBHOOK_URL=${opsUrl}`, '--yes'],
        ExitCode.USAGE,
        'global.slack_api_url must be an http(s) URL',
      ],
      [
        'invalid config',
        ['-n', namespace, '--template', badTemplate, '--set', `SLACK_WEBHOOK_URL=${slackUrl}`, '--yes'],
        ExitCode.CHECK_FAILED,
        'is not valid for Alertmanager',
      ],
      [
        'namespace missing',
        ['-n', `${namespace}-nope`, '--template', templateFile, '--values-file', valuesFile, '--yes'],
        ExitCode.NOT_FOUND,
        `namespace "${namespace}-nope" does not exist`,
      ],
      [
        'secret missing (rollback)',
        ['-n', namespace, '--secret', 'no-such-secret', '--rollback', '--yes'],
        ExitCode.NOT_FOUND,
        'secret "no-such-secret" does not exist',
      ],
      [
        'forbidden user',
        ['-n', namespace, '--template', templateFile, '--values-file', valuesFile, '--yes'],
        ExitCode.FORBIDDEN,
        'forbidden',
        viewerKubeconfig,
      ],
    ]
    for (const [name, args, code, text, asUser] of cases) {
      const result = await cli(args, {}, asUser)
      expect(result.exitCode, `${name}: ${result.stderr}`).toBe(code)
      const lines = errorLines(result)
      expect(lines, name).toHaveLength(1)
      expect(lines[0], name).toContain(text)
      expect(result.stderr, name).not.toMatch(/\n\s+at /)
    }
    expect(runs.at(-4)!.stderr).toContain('✗ undefined receiver "missing" used in route')
    // Under --json an invalid configuration is a failed check: exit 6 with the result saying what is wrong, not an {error}.
    const json = await cli(['-n', namespace, '--template', badTemplate, '--set', `SLACK_WEBHOOK_URL=${slackUrl}`, '--yes', '--json'])
    expect(json.exitCode, json.stderr).toBe(ExitCode.CHECK_FAILED)
    const parsed = JSON.parse(json.stdout) as {error?: unknown; changed: boolean; problems: string[]; secret: string}
    expect(parsed.error).toBeUndefined()
    expect(parsed).toMatchObject({changed: false, secret: secretName})
    expect(parsed.problems).toContain('undefined receiver "missing" used in route')
    // Any other failure under --json is the {error} object.
    const missing = await cli(['-n', `${namespace}-nope`, '--template', templateFile, '--values-file', valuesFile, '--yes', '--json'])
    expect(missing.exitCode).toBe(ExitCode.NOT_FOUND)
    expect(JSON.parse(missing.stdout)).toMatchObject({error: {kind: 'not-found', exitCode: ExitCode.NOT_FOUND}})
    expect((await readSecret())?.metadata?.resourceVersion).toBe(rv)
  })
})

/** A secret in the test namespace, written as a user or another tool would (no elife-k8s marks unless given). */
async function putSecret(name: string, data: Record<string, string>, extra: Partial<V1Secret> = {}): Promise<V1Secret> {
  const existing = await readSecret(name)
  if (existing) await core.deleteNamespacedSecret({name, namespace})
  return core.createNamespacedSecret({
    namespace,
    body: {
      ...extra,
      metadata: {name, namespace, ...extra.metadata},
      data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
    },
  })
}

const previousOf = 'alertmanager.elife-k8s.elifesciences.org/previous-of'
const previousState = 'alertmanager.elife-k8s.elifesciences.org/previous-state'

describe('alertmanager apply: the -previous backup is only trusted when elife-k8s made it', () => {
  it('refuses --rollback from a -previous it did not make (no alertmanager.yaml in it) and leaves the live secret as it was', async () => {
    const live = await putSecret('am-foreign-rb', {'alertmanager.yaml': oldConfig})
    const foreign = await putSecret('am-foreign-rb-previous', {password: 'not-alertmanager'})
    for (const args of [
      ['--rollback', '--dry-run'],
      ['--rollback', '--yes'],
    ]) {
      const result = await cli(['-n', namespace, '--secret', 'am-foreign-rb', ...args])
      expect(result.exitCode, result.stderr).toBe(ExitCode.CONFLICT)
      const lines = errorLines(result)
      expect(lines).toHaveLength(1)
      expect(lines[0]).toContain('secret "am-foreign-rb-previous" in')
      expect(lines[0]).toContain('is not a backup elife-k8s made of "am-foreign-rb"')
      // says how to get unstuck: mark a hand-made backup, or move the secret out of the way
      expect(lines[0]).toContain(`kubectl annotate secret am-foreign-rb-previous -n ${namespace} --overwrite ${previousOf}=am-foreign-rb`)
      expect(lines[0]).toContain('kubectl delete secret am-foreign-rb-previous')
    }
    expect((await readSecret('am-foreign-rb'))?.metadata?.resourceVersion).toBe(live.metadata?.resourceVersion)
    expect(config(await readSecret('am-foreign-rb'))).toBe(oldConfig)
    expect((await readSecret('am-foreign-rb-previous'))?.metadata?.resourceVersion).toBe(foreign.metadata?.resourceVersion)
  })

  it('refuses to overwrite an unrelated -previous secret on apply (also under --dry-run), changing neither secret', async () => {
    const live = await putSecret('am-foreign-ap', {'alertmanager.yaml': oldConfig})
    const foreign = await putSecret('am-foreign-ap-previous', {token: 'someone-elses', 'ca.crt': 'x'}, {metadata: {labels: {app: 'other'}}})
    const named = await putSecret('am-other-ap-previous', {'alertmanager.yaml': oldConfig}, {metadata: {annotations: {[previousOf]: 'some-other-secret'}}})
    for (const args of [['--dry-run'], ['--yes']]) {
      const result = await cli(['-n', namespace, '--secret', 'am-foreign-ap', '--template', templateFile, '--values-file', valuesFile, ...args])
      expect(result.exitCode, result.stderr).toBe(ExitCode.CONFLICT)
      expect(errorLines(result)).toHaveLength(1)
      expect(errorLines(result)[0]).toContain(`has no ${previousOf} annotation`)
    }
    expect((await readSecret('am-foreign-ap'))?.metadata?.resourceVersion).toBe(live.metadata?.resourceVersion)
    const after = await readSecret('am-foreign-ap-previous')
    expect(after?.metadata?.resourceVersion).toBe(foreign.metadata?.resourceVersion)
    expect(Object.keys(after?.data ?? {}).sort()).toEqual(['ca.crt', 'token'])

    // a backup of another secret is not ours either; and a secret that is missing gets no -previous from someone else
    const other = await cli(['-n', namespace, '--secret', 'am-other-ap', '--template', templateFile, '--values-file', valuesFile, '--yes'])
    expect(other.exitCode, other.stderr).toBe(ExitCode.CONFLICT)
    expect(errorLines(other)[0]).toContain('annotation names another secret')
    expect(await readSecret('am-other-ap')).toBeUndefined()
    expect((await readSecret('am-other-ap-previous'))?.metadata?.resourceVersion).toBe(named.metadata?.resourceVersion)

    // the way out the refusal names: a hand-made backup, once marked, is used like ours
    await core.patchNamespacedSecret(
      {name: 'am-foreign-ap-previous', namespace, body: {metadata: {annotations: {[previousOf]: 'am-foreign-ap'}}}},
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )
    const marked = await cli(['-n', namespace, '--secret', 'am-foreign-ap', '--template', templateFile, '--values-file', valuesFile, '--yes'])
    expect(marked.exitCode, marked.stderr).toBe(0)
    expect(config(await readSecret('am-foreign-ap'))).toBe(rendered)
    expect(config(await readSecret('am-foreign-ap-previous'))).toBe(oldConfig)
  })

  it('never writes the live secret without alertmanager.yaml: a rollback to "had no alertmanager.yaml" or from a backup that lost it is refused', async () => {
    // the live secret had no alertmanager.yaml before the apply: the backup records "no-key"
    await putSecret('am-nokey', {'extra.tmpl': 'x'})
    const apply = await cli(['-n', namespace, '--secret', 'am-nokey', '--template', templateFile, '--values-file', valuesFile, '--yes'])
    expect(apply.exitCode, apply.stderr).toBe(0)
    expect((await readSecret('am-nokey-previous'))?.metadata?.annotations?.[previousState]).toBe('no-key')
    const before = await readSecret('am-nokey')
    const rollback = await cli(['-n', namespace, '--secret', 'am-nokey', '--rollback', '--yes'])
    expect(rollback.exitCode, rollback.stderr).toBe(ExitCode.CONFLICT)
    expect(errorLines(rollback)).toHaveLength(1)
    expect(errorLines(rollback)[0]).toContain('had no alertmanager.yaml before the last apply')
    expect((await readSecret('am-nokey'))?.metadata?.resourceVersion).toBe(before?.metadata?.resourceVersion)
    expect(config(await readSecret('am-nokey'))).toBe(rendered)

    // our backup, but its alertmanager.yaml was removed by hand since
    await putSecret('am-lost', {'alertmanager.yaml': oldConfig})
    await putSecret('am-lost-previous', {notes: 'emptied by hand'}, {metadata: {annotations: {[previousOf]: 'am-lost', [previousState]: 'present'}}})
    const lostBefore = await readSecret('am-lost')
    const lost = await cli(['-n', namespace, '--secret', 'am-lost', '--rollback', '--yes'])
    expect(lost.exitCode, lost.stderr).toBe(ExitCode.CONFLICT)
    expect(errorLines(lost)[0]).toContain('secret "am-lost-previous" in')
    expect(errorLines(lost)[0]).toContain('holds no alertmanager.yaml')
    expect((await readSecret('am-lost'))?.metadata?.resourceVersion).toBe(lostBefore?.metadata?.resourceVersion)
  })
})

describe('alertmanager apply: immutable secrets are refused in the plan, before anything is written', () => {
  it('refuses to apply to an immutable live secret (exit 7) and leaves -previous untouched', async () => {
    const live = await putSecret('am-immutable', {'alertmanager.yaml': oldConfig}, {immutable: true})
    const backup = await putSecret(
      'am-immutable-previous',
      {'alertmanager.yaml': 'route:\n  receiver: older\n'},
      {metadata: {annotations: {[previousOf]: 'am-immutable', [previousState]: 'present'}}},
    )
    for (const args of [['--dry-run'], ['--yes']]) {
      const result = await cli(['-n', namespace, '--secret', 'am-immutable', '--template', templateFile, '--values-file', valuesFile, ...args])
      expect(result.exitCode, result.stderr).toBe(ExitCode.CONFLICT)
      expect(errorLines(result)).toHaveLength(1)
      expect(errorLines(result)[0]).toContain(`secret "am-immutable" in ${namespace} is immutable`)
      expect(result.stderr).not.toMatch(/\n\s+at /)
    }
    const rollback = await cli(['-n', namespace, '--secret', 'am-immutable', '--rollback', '--yes'])
    expect(rollback.exitCode, rollback.stderr).toBe(ExitCode.CONFLICT)
    expect(errorLines(rollback)[0]).toContain('is immutable')
    expect((await readSecret('am-immutable'))?.metadata?.resourceVersion).toBe(live.metadata?.resourceVersion)
    expect((await readSecret('am-immutable-previous'))?.metadata?.resourceVersion).toBe(backup.metadata?.resourceVersion)
  })

  it('refuses when the -previous backup is immutable, leaving the live secret untouched', async () => {
    const live = await putSecret('am-immutable-bk', {'alertmanager.yaml': oldConfig})
    const backup = await putSecret(
      'am-immutable-bk-previous',
      {'alertmanager.yaml': 'route:\n  receiver: older\n'},
      {immutable: true, metadata: {annotations: {[previousOf]: 'am-immutable-bk'}}},
    )
    const apply = await cli(['-n', namespace, '--secret', 'am-immutable-bk', '--template', templateFile, '--values-file', valuesFile, '--yes'])
    expect(apply.exitCode, apply.stderr).toBe(ExitCode.CONFLICT)
    expect(errorLines(apply)).toHaveLength(1)
    expect(errorLines(apply)[0]).toContain(`secret "am-immutable-bk-previous" in ${namespace} is immutable`)
    const rollback = await cli(['-n', namespace, '--secret', 'am-immutable-bk', '--rollback', '--yes'])
    expect(rollback.exitCode, rollback.stderr).toBe(ExitCode.CONFLICT)
    expect((await readSecret('am-immutable-bk'))?.metadata?.resourceVersion).toBe(live.metadata?.resourceVersion)
    expect((await readSecret('am-immutable-bk-previous'))?.metadata?.resourceVersion).toBe(backup.metadata?.resourceVersion)
  })
})

describe('alertmanager apply: diffs hide every secret-bearing value on both sides', () => {
  it("an earlier configuration's user_key, tokens, passwords and HTTPS:// URLs are not printed by --rollback --dry-run or apply --dry-run", async () => {
    const earlier = [
      'global:',
      `  smtp_auth_password: smtpPw${suffix}`,
      'route:',
      '  receiver: pager',
      'receivers:',
      '  - name: pager',
      '    pushover_configs:',
      `      - user_key: userKey${suffix}`,
      `        token: pushToken${suffix}`,
      '    webhook_configs:',
      `      - url: HTTPS://pager.example.org/hook/upperPath${suffix}`,
      '',
    ].join('\n')
    const hidden = [`smtpPw${suffix}`, `userKey${suffix}`, `pushToken${suffix}`, `upperPath${suffix}`]
    await putSecret('am-redact', {'alertmanager.yaml': oldConfig})
    await putSecret('am-redact-previous', {'alertmanager.yaml': earlier}, {metadata: {annotations: {[previousOf]: 'am-redact', [previousState]: 'present'}}})
    const rollback = await cli(['-n', namespace, '--secret', 'am-redact', '--rollback', '--dry-run'])
    expect(rollback.exitCode, rollback.stderr).toBe(0)
    for (const value of hidden) expect(rollback.stdout + rollback.stderr).not.toContain(value)
    expect(rollback.stdout).toContain('+       - user_key: <redacted>')
    expect(rollback.stdout).toContain('+       - url: HTTPS://pager.example.org/…redacted')

    // the same configuration live, replaced by an apply: the removed side is redacted too
    await putSecret('am-redact', {'alertmanager.yaml': earlier})
    await core.deleteNamespacedSecret({name: 'am-redact-previous', namespace})
    const apply = await cli(['-n', namespace, '--secret', 'am-redact', '--template', templateFile, '--values-file', valuesFile, '--dry-run', '--json'])
    expect(apply.exitCode, apply.stderr).toBe(0)
    for (const value of hidden) expect(apply.stdout + apply.stderr).not.toContain(value)
    expect(JSON.parse(apply.stdout).diff).toContain('-   smtp_auth_password: <redacted>')
  })
})
