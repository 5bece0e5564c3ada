import {execFileSync, spawnSync} from 'node:child_process'
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {parseRoleArn} from '../../src/lib/eks/arn.js'
import type {EksCluster} from '../../src/lib/eks/cluster.js'
import {kubeconfigEntries, userEntryName} from '../../src/lib/eks/kubeconfig-entries.js'
import {chooseKubeconfigFile, kubeconfigWriteTarget, planKubeconfigMerge, writeKubeconfigAtomic} from '../../src/lib/eks/kubeconfig-file.js'
import {waitForKubeconfigLock, withKubeconfigLock} from '../../src/lib/eks/kubeconfig-lock.js'
import {CliError, ExitCode} from '../../src/lib/errors.js'

const cluster: EksCluster = {
  name: 'kubernetes-aws--flux-prod',
  arn: 'arn:aws:eks:us-east-1:512686554592:cluster/kubernetes-aws--flux-prod',
  region: 'us-east-1',
  status: 'ACTIVE',
  endpoint: 'https://ABC.gr7.us-east-1.eks.amazonaws.com',
  certificateAuthorityData: 'LS0tLS1CRUdJTi'.repeat(100),
}
const userRole = 'arn:aws:iam::512686554592:role/kubernetes-aws--flux-prod--AmazonEKSUserRole'
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const base = {cluster, authenticator: 'elife-k8s' as const, elifeK8sCommand: 'elife-k8s'}

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'elife-k8s-eks-kc-'))
}

function expectCliError(fn: () => unknown, kind: string, pattern: RegExp): void {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(CliError)
    expect((error as CliError).kind).toBe(kind)
    expect((error as CliError).line).toMatch(pattern)
    return
  }
  throw new Error('expected a CliError')
}

describe('parseRoleArn', () => {
  it('accepts IAM role ARNs, with paths, in any partition', () => {
    expect(parseRoleArn(userRole).roleName).toBe('kubernetes-aws--flux-prod--AmazonEKSUserRole')
    expect(parseRoleArn('arn:aws-cn:iam::123456789012:role/eks/admins/Ops').roleName).toBe('Ops')
  })

  it('refuses anything else as a usage error', () => {
    for (const bad of [
      'kubernetes-aws--flux-prod--AmazonEKSUserRole',
      'arn:aws:iam::5126865545:role/x',
      'arn:aws:iam::512686554592:user/x',
      'arn:aws:sts::512686554592:assumed-role/x/y',
      'arn:aws:iam::512686554592:role/',
    ]) {
      expectCliError(() => parseRoleArn(bad), 'usage', /is not an IAM role ARN; expected arn:aws:iam::/)
    }
    expect(new CliError('usage', 'x').exitCode).toBe(ExitCode.USAGE)
  })
})

describe('kubeconfigEntries', () => {
  it("writes aws-cli's cluster, user and context, with an exec of elife-k8s token", () => {
    expect(kubeconfigEntries(base)).toEqual({
      cluster: {cluster: {'certificate-authority-data': cluster.certificateAuthorityData, server: cluster.endpoint}, name: cluster.arn},
      user: {
        name: cluster.arn,
        user: {
          exec: {apiVersion: 'client.authentication.k8s.io/v1beta1', args: ['token', '--cluster', cluster.name, '--region', 'us-east-1'], command: 'elife-k8s'},
        },
      },
      context: {context: {cluster: cluster.arn, user: cluster.arn}, name: cluster.arn},
    })
  })

  it("writes exactly aws-cli's exec with --authenticator aws-cli, carrying the role and profile", () => {
    const {user} = kubeconfigEntries({...base, authenticator: 'aws-cli', roleArn: userRole, profile: 'elife'})
    expect(user.user.exec).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      args: ['--region', 'us-east-1', 'eks', 'get-token', '--cluster-name', cluster.name, '--output', 'json', '--role', userRole],
      command: 'aws',
      env: [{name: 'AWS_PROFILE', value: 'elife'}],
    })
  })

  it('gives each role its own user and context; aliases win', () => {
    const admin = 'arn:aws:iam::512686554592:role/Admin'
    expect(userEntryName({cluster, roleArn: userRole})).toBe(`kubernetes-aws--flux-prod--AmazonEKSUserRole@${cluster.arn}`)
    expect(userEntryName({cluster, roleArn: admin})).toBe(`Admin@${cluster.arn}`)
    const aliased = kubeconfigEntries({...base, roleArn: admin, contextAlias: 'prod', userAlias: 'prod-admin'})
    expect(aliased.context).toEqual({context: {cluster: cluster.arn, user: 'prod-admin'}, name: 'prod'})
    expect(aliased.user.user.exec.args).toEqual(['token', '--cluster', cluster.name, '--region', 'us-east-1', '--role-arn', admin])
  })

  it('signs the cluster id for a local cluster on Outposts', () => {
    const outpost = {...cluster, outpostClusterId: 'a1b2c3'}
    expect(kubeconfigEntries({...base, cluster: outpost}).user.user.exec.args.slice(0, 3)).toEqual(['token', '--cluster', 'a1b2c3'])
    expect(kubeconfigEntries({...base, cluster: outpost, authenticator: 'aws-cli'}).user.user.exec.args).toContain('--cluster-id')
  })
})

const existing = `# kubeconfig of a developer, written by kubectl
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LOCALCA
    server: https://127.0.0.1:6443 # the local cluster
  name: local
contexts:
- context:
    cluster: local
    namespace: adm
    user: local-admin
  name: local
current-context: local
kind: Config
preferences: {}
users:
- name: local-admin
  user:
    token: "not-a-real-token"
`

describe('planKubeconfigMerge', () => {
  it("creates a new file in aws-cli's layout", () => {
    const plan = planKubeconfigMerge('/x/config', undefined, kubeconfigEntries(base))
    expect(Object.keys(parse(plan.after))).toEqual(['apiVersion', 'clusters', 'contexts', 'current-context', 'kind', 'preferences', 'users'])
    expect(plan.changes).toEqual({cluster: 'added', user: 'added', context: 'added'})
    expect(plan.currentContext).toEqual({before: undefined, after: cluster.arn})
    // The CA stays on one line, as kubectl and aws-cli write it.
    expect(plan.after).toContain(`certificate-authority-data: ${cluster.certificateAuthorityData}\n`)
  })

  it('keeps every unrelated entry, comment and the formatting, and appends ours', () => {
    const plan = planKubeconfigMerge('/x/config', existing, kubeconfigEntries(base))
    const before = parse(existing)
    const after = parse(plan.after)
    expect(after.clusters[0]).toEqual(before.clusters[0])
    expect(after.users[0]).toEqual(before.users[0])
    expect(after.contexts[0]).toEqual(before.contexts[0])
    expect(after['current-context']).toBe(cluster.arn)
    expect(plan.currentContext.before).toBe('local')
    expect(plan.after).toContain('# kubeconfig of a developer, written by kubectl')
    expect(plan.after).toContain('server: https://127.0.0.1:6443 # the local cluster')
    expect(plan.after).toContain('token: "not-a-real-token"')
    // Everything before our first entry is byte-identical.
    expect(plan.after.startsWith(existing.slice(0, existing.indexOf('contexts:')))).toBe(true)
  })

  it('replaces our own entries in place the second time, and reports them unchanged when equal', () => {
    const entries = kubeconfigEntries(base)
    const once = planKubeconfigMerge('/x/config', existing, entries)
    const twice = planKubeconfigMerge('/x/config', once.after, entries)
    expect(twice.after).toBe(once.after)
    expect(twice.changes).toEqual({cluster: 'unchanged', user: 'unchanged', context: 'unchanged'})
    const moved = planKubeconfigMerge('/x/config', once.after, kubeconfigEntries({...base, cluster: {...cluster, endpoint: 'https://NEW.eks.amazonaws.com'}}))
    expect(moved.changes.cluster).toBe('updated')
    expect(parse(moved.after).clusters.map((c: {name: string}) => c.name)).toEqual(['local', cluster.arn])
  })

  it('adds a second role as a second user and context instead of overwriting the first', () => {
    const first = planKubeconfigMerge('/x/config', existing, kubeconfigEntries({...base, roleArn: userRole}))
    const second = planKubeconfigMerge('/x/config', first.after, kubeconfigEntries({...base, roleArn: 'arn:aws:iam::512686554592:role/Admin'}))
    const after = parse(second.after)
    expect(after.users.map((u: {name: string}) => u.name)).toEqual([
      'local-admin',
      `kubernetes-aws--flux-prod--AmazonEKSUserRole@${cluster.arn}`,
      `Admin@${cluster.arn}`,
    ])
    expect(after.clusters).toHaveLength(2)
    expect(second.changes).toEqual({cluster: 'unchanged', user: 'added', context: 'added'})
  })

  it('keeps an indented sequence style when the file uses one', () => {
    const indented = 'apiVersion: v1\nkind: Config\nclusters:\n  - name: a\n    cluster: {server: "https://a"}\nusers: []\ncontexts: []\n'
    expect(planKubeconfigMerge('/x/config', indented, kubeconfigEntries(base)).after).toContain('clusters:\n  - name: a\n')
  })

  it('fills in missing or null lists', () => {
    const plan = planKubeconfigMerge('/x/config', 'apiVersion: v1\nkind: Config\nclusters: null\n', kubeconfigEntries(base))
    expect(parse(plan.after).clusters).toHaveLength(1)
    expect(parse(plan.after).users).toHaveLength(1)
  })

  it('stops on a file it cannot parse, saying nothing was written', () => {
    for (const [text, reason] of [
      ['apiVersion: v1\nclusters: [\n  - name: a\n', /cannot be parsed \(/],
      ['- just\n- a list\n', /the top level is not a mapping/],
      ['apiVersion: v1\nclusters: {name: a}\n', /"clusters" is not a list/],
      ['apiVersion: v1\nusers:\n- just a string\n', /an entry in "users" is not a mapping/],
      // kubectl reads the last of two keys: an edit of the first would be lost on it.
      ['apiVersion: v1\nusers: []\nkind: Config\nusers:\n- name: admin\n', /\(the top-level key "users" appears more than once\)/],
      ['current-context: a\ncurrent-context: b\n', /\(the top-level key "current-context" appears more than once\)/],
    ] as const) {
      expectCliError(() => planKubeconfigMerge('/x/config', text, kubeconfigEntries(base)), 'usage', reason)
      expectCliError(() => planKubeconfigMerge('/x/config', text, kubeconfigEntries(base)), 'usage', /nothing was written; fix or move the file away/)
    }
  })
})

describe('chooseKubeconfigFile', () => {
  it('picks --kubeconfig, else the KUBECONFIG file that has the cluster, else the first', () => {
    const dir = tempDir()
    const a = path.join(dir, 'a')
    const b = path.join(dir, 'b')
    writeFileSync(a, existing)
    writeFileSync(b, planKubeconfigMerge(b, undefined, kubeconfigEntries(base)).after)
    const KUBECONFIG = [path.join(dir, 'missing'), a, b].join(path.delimiter)
    expect(chooseKubeconfigFile({env: {KUBECONFIG}, clusterArn: cluster.arn})).toBe(b)
    expect(chooseKubeconfigFile({env: {KUBECONFIG}, clusterArn: 'arn:aws:eks:us-east-1:1:cluster/other'})).toBe(path.join(dir, 'missing'))
    expect(chooseKubeconfigFile({kubeconfig: a, env: {KUBECONFIG}, clusterArn: cluster.arn})).toBe(a)
    expect(chooseKubeconfigFile({env: {HOME: '/home/j'}, clusterArn: cluster.arn})).toBe('/home/j/.kube/config')
  })
})

describe('writeKubeconfigAtomic', () => {
  it('writes mode 0600 through a temp file and leaves no temp file behind', () => {
    const dir = tempDir()
    const file = path.join(dir, 'nested', 'config')
    writeKubeconfigAtomic(file, 'a: 1\n', undefined)
    expect(readFileSync(file, 'utf8')).toBe('a: 1\n')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    writeFileSync(file, 'b: 2\n', {mode: 0o644})
    chmodSync(file, 0o644)
    writeKubeconfigAtomic(file, 'c: 3\n', 'b: 2\n')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readdirSync(path.dirname(file))).toEqual(['config'])
  })

  it('writes through a symlinked kubeconfig to its target', () => {
    const dir = tempDir()
    const target = path.join(dir, 'real')
    writeFileSync(target, 'a: 1\n', {mode: 0o600})
    symlinkSync(target, path.join(dir, 'config'))
    writeKubeconfigAtomic(path.join(dir, 'config'), 'b: 2\n', 'a: 1\n')
    expect(readFileSync(target, 'utf8')).toBe('b: 2\n')
  })

  it('refuses a read-only file (even for root) and a file changed since it was read', () => {
    const dir = tempDir()
    const file = path.join(dir, 'config')
    writeFileSync(file, 'a: 1\n')
    chmodSync(file, 0o444)
    expectCliError(() => writeKubeconfigAtomic(file, 'b: 2\n', 'a: 1\n'), 'usage', /is read-only \(mode 0444\); nothing was written; make it writable/)
    chmodSync(file, 0o600)
    expectCliError(() => writeKubeconfigAtomic(file, 'b: 2\n', 'something else\n'), 'conflict', /changed while it was being updated/)
    expect(readFileSync(file, 'utf8')).toBe('a: 1\n')
    expect(readdirSync(dir)).toEqual(['config'])
  })

  it("keeps the owner and group of an existing file (root writing a user's kubeconfig under sudo -E)", () => {
    expect(process.getuid?.(), 'runs as root, as the CI does').toBe(0)
    const file = path.join(tempDir(), 'config')
    writeFileSync(file, 'a: 1\n', {mode: 0o600})
    chownSync(file, 1000, 65534)
    writeKubeconfigAtomic(file, 'b: 2\n', 'a: 1\n')
    const stats = statSync(file)
    expect({uid: stats.uid, gid: stats.gid, mode: stats.mode & 0o777}).toEqual({uid: 1000, gid: 65534, mode: 0o600})
    expect(readFileSync(file, 'utf8')).toBe('b: 2\n')
    // A new file in our own directory is ours; an existing root-owned file stays root's.
    const fresh = path.join(path.dirname(file), 'fresh')
    writeKubeconfigAtomic(fresh, 'c: 3\n', undefined)
    expect(statSync(fresh).uid).toBe(0)
  })

  it("gives a new file, and the directories it needs, to the owner of the directory they land in (root in a user's home)", () => {
    const home = tempDir()
    chownSync(home, 1000, 65534)
    const file = path.join(home, '.kube', 'sub', 'config')
    writeKubeconfigAtomic(file, 'a: 1\n', undefined)
    for (const made of [path.join(home, '.kube'), path.join(home, '.kube', 'sub'), file]) {
      const stats = statSync(made)
      expect({path: made, uid: stats.uid, gid: stats.gid}).toEqual({path: made, uid: 1000, gid: 65534})
    }
    // A file root already owns there stays root's.
    const rootsOwn = path.join(home, 'roots-own')
    writeFileSync(rootsOwn, 'a: 1\n', {mode: 0o600})
    writeKubeconfigAtomic(rootsOwn, 'b: 2\n', 'a: 1\n')
    expect(statSync(rootsOwn).uid).toBe(0)
  })

  it('follows a symlink to a file that does not exist yet (relative, through a second link)', () => {
    const dir = tempDir()
    mkdirSync(path.join(dir, 'dotfiles'))
    symlinkSync('dotfiles/kube-config', path.join(dir, 'middle'))
    symlinkSync('middle', path.join(dir, 'config'))
    expect(kubeconfigWriteTarget(path.join(dir, 'config'))).toBe(path.join(dir, 'dotfiles', 'kube-config'))
    writeKubeconfigAtomic(path.join(dir, 'config'), 'a: 1\n', undefined)
    expect(lstatSync(path.join(dir, 'config')).isSymbolicLink()).toBe(true)
    expect(lstatSync(path.join(dir, 'middle')).isSymbolicLink()).toBe(true)
    expect(readFileSync(path.join(dir, 'dotfiles', 'kube-config'), 'utf8')).toBe('a: 1\n')
    symlinkSync('loop-b', path.join(dir, 'loop-a'))
    symlinkSync('loop-a', path.join(dir, 'loop-b'))
    expectCliError(() => writeKubeconfigAtomic(path.join(dir, 'loop-a'), 'a: 1\n', undefined), 'usage', /cannot be read \(ELOOP/)
  })

  it('says in one line that a directory which can never exist cannot be written (no endless mkdir)', () => {
    expectCliError(
      () => writeKubeconfigAtomic('/proc/elife-k8s-no-such-dir/kube/config', 'a: 1\n', undefined),
      'usage',
      /^kubeconfig \/proc\/elife-k8s-no-such-dir\/kube\/config cannot be written \(ENOENT creating \/proc\/elife-k8s-no-such-dir\); nothing was written/,
    )
    const file = path.join(tempDir(), 'a-file')
    writeFileSync(file, '')
    expectCliError(
      () => writeKubeconfigAtomic(path.join(file, 'kube', 'config'), 'a: 1\n', undefined),
      'usage',
      /^kubeconfig .*a-file\/kube\/config cannot be read \(ENOTDIR\)/,
    )
  })
})

describe('withKubeconfigLock', () => {
  it('holds <file>.lock for the section and removes it after, also when the section throws', () => {
    const file = path.join(tempDir(), 'config')
    expect(withKubeconfigLock(file, () => existsSync(`${file}.lock`))).toBe(true)
    expect(existsSync(`${file}.lock`)).toBe(false)
    expect(() =>
      withKubeconfigLock(file, () => {
        throw new Error('boom')
      }),
    ).toThrow('boom')
    expect(existsSync(`${file}.lock`)).toBe(false)
  })

  it('waits for a fresh lock and gives up with a conflict naming it, leaving it alone', () => {
    const file = path.join(tempDir(), 'config')
    writeFileSync(`${file}.lock`, '')
    const waited: string[] = []
    let ran = false
    expectCliError(
      () => withKubeconfigLock(file, () => (ran = true), {waitMs: 200, onWait: (lock) => waited.push(lock)}),
      'conflict',
      /^kubeconfig .*\/config stayed locked by another program \(.*\/config\.lock\); nothing was written; run the command again/,
    )
    expect(ran).toBe(false)
    expect(waited).toEqual([`${file}.lock`])
    expect(existsSync(`${file}.lock`)).toBe(true)
  })

  it('takes over a stale lock (its writer died holding it)', () => {
    const file = path.join(tempDir(), 'config')
    writeFileSync(`${file}.lock`, '')
    const old = new Date(Date.now() - 60_000)
    utimesSync(`${file}.lock`, old, old)
    expect(withKubeconfigLock(file, () => 'written', {waitMs: 0})).toBe('written')
    expect(existsSync(`${file}.lock`)).toBe(false)
  })

  it('Ctrl-C while it holds the lock: the section finishes, the lock is removed, the process ends by the signal', () => {
    const dir = tempDir()
    const file = path.join(dir, 'config')
    const script = path.join(dir, 'interrupted.ts')
    const lockModule = path.join(repoRoot, 'src', 'lib', 'eks', 'kubeconfig-lock.ts')
    // The signal arrives in the middle of the section, as a Ctrl-C at the wrong moment would.
    writeFileSync(
      script,
      `import {writeFileSync} from 'node:fs'
import {withKubeconfigLock} from ${JSON.stringify(lockModule)}
withKubeconfigLock(${JSON.stringify(file)}, () => {
  process.kill(process.pid, 'SIGINT')
  writeFileSync(${JSON.stringify(file)}, 'written\\n')
})
setTimeout(() => writeFileSync(${JSON.stringify(`${file}.after`)}, 'ran on'), 1000)
`,
    )
    // A Node process with tsx: slow on a loaded machine, hence the test's 60 s (not the default 5).
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], {cwd: repoRoot, encoding: 'utf8'})
    expect(run.signal, run.stderr).toBe('SIGINT')
    expect(readFileSync(file, 'utf8')).toBe('written\n')
    expect(readdirSync(dir).sort()).toEqual(['config', 'interrupted.ts'])
  }, 60_000)

  it('waitForKubeconfigLock: returns once the lock is gone or stale, gives up on one that stays fresh', async () => {
    const file = path.join(tempDir(), 'config')
    await waitForKubeconfigLock(file)
    writeFileSync(`${file}.lock`, '')
    // The holder finishes as soon as we start waiting.
    await waitForKubeconfigLock(file, {onWait: () => execFileSync('rm', [`${file}.lock`])})
    writeFileSync(`${file}.lock`, '')
    const old = new Date(Date.now() - 60_000)
    utimesSync(`${file}.lock`, old, old)
    await waitForKubeconfigLock(file)
    writeFileSync(`${file}.lock`, '')
    await expect(waitForKubeconfigLock(file, {waitMs: 100})).rejects.toThrow(/stayed locked by another program/)
    expect(existsSync(`${file}.lock`)).toBe(true)
  })

  it("waitForKubeconfigLock lets a command's own Ctrl-C handler run while it waits", () => {
    const dir = tempDir()
    const file = path.join(dir, 'config')
    writeFileSync(`${file}.lock`, '')
    const script = path.join(dir, 'waiting.mts')
    const lockModule = path.join(repoRoot, 'src', 'lib', 'eks', 'kubeconfig-lock.ts')
    writeFileSync(
      script,
      `import {waitForKubeconfigLock} from ${JSON.stringify(lockModule)}
process.on('SIGINT', () => {
  console.log('interrupted')
  process.exit(130)
})
await waitForKubeconfigLock(${JSON.stringify(file)}, {waitMs: 20_000, onWait: () => process.kill(process.pid, 'SIGINT')})
console.log('done waiting')
`,
    )
    // A Node process with tsx: slow on a loaded machine, hence the test's 60 s (not the default 5).
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], {cwd: repoRoot, encoding: 'utf8'})
    expect({status: run.status, stdout: run.stdout}, run.stderr).toEqual({status: 130, stdout: 'interrupted\n'})
    expect(existsSync(`${file}.lock`)).toBe(true)
  }, 60_000)

  it('does not remove a lock that is no longer its own', () => {
    const file = path.join(tempDir(), 'config')
    withKubeconfigLock(file, () => {
      // Taken over meanwhile by a waiter that thought ours stale.
      writeFileSync(`${file}.lock.new`, '')
      execFileSync('mv', [`${file}.lock.new`, `${file}.lock`])
    })
    expect(existsSync(`${file}.lock`)).toBe(true)
  })

  it('says a directory where no lock can be made cannot be written', () => {
    expectCliError(
      () => withKubeconfigLock('/proc/config', () => undefined),
      'usage',
      /^kubeconfig \/proc\/config cannot be written \(\w+ in \/proc\); nothing was written/,
    )
  })
})
