import {type ChildProcess, spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {CreateClusterCommand, EKSClient} from '@aws-sdk/client-eks'
import {afterAll, beforeAll} from 'vitest'

const launcher = path.join(path.dirname(fileURLToPath(import.meta.url)), 'eks-moto-server.py')

/** moto's fixed account, and the fake keys every sandbox starts with. */
export const motoAccount = '123456789012'
export const fakeAccessKeyId = 'AKIAELIFEK8STESTING1'
export const fakeSecretAccessKey = 'elifeK8sTestingSecretKeyDoNotPrint0123456'

export interface ClusterEdit {
  name: string
  region?: string
  status?: string
  endpoint?: string
  certificateAuthorityData?: string
}

export interface EksCatalog {
  addonVersions?: Array<{
    addonName: string
    type?: string
    addonVersions: Array<{addonVersion: string; compatibilities: Array<{clusterVersion: string; defaultVersion: boolean}>}>
  }>
  clusterVersions?: Array<Record<string, unknown> & {clusterVersion: string}>
  /** Managed add-ons per cluster name: {"elife-prod": {"coredns": {"addonVersion": "v1.12.1-eksbuild.1", "status": "ACTIVE"}}}. */
  addons?: Record<string, Record<string, Record<string, unknown>>>
}

/** One moto server (EKS and STS) on a loopback port, for one test file. */
export interface Moto {
  url: string
  /** CreateCluster through moto's EKS API (moto makes it ACTIVE at once). */
  createCluster(name: string, region?: string): Promise<void>
  /** Edits moto's cluster model (status, endpoint, CA): see eks-moto-server.py. */
  editCluster(edit: ClusterEdit): Promise<void>
  /**
   * What DescribeAddonVersions, DescribeClusterVersions and DescribeAddon answer (moto serves none
   * of them; eks-moto-server.py does, from this): EKS's JSON shapes, dates as epoch seconds.
   */
  setCatalog(catalog: EksCatalog): Promise<void>
  /** moto's /moto-api/reset-auth: after `allowed` more unauthenticated calls, check keys and IAM policies. */
  enforceAuth(allowed?: number): Promise<void>
  stop(): Promise<void>
}

/** Starts test/setup/eks-moto-server.py (moto[server] with two test additions) and waits for its port. */
export async function startMoto(): Promise<Moto> {
  const child: ChildProcess = spawn('python3', [launcher], {stdio: ['pipe', 'pipe', 'pipe'], env: {...process.env, PYTHONUNBUFFERED: '1'}})
  let stderr = ''
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000)
  })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`moto did not start within 30s: ${stderr}`)), 30_000)
    let out = ''
    child.stdout?.on('data', (chunk) => {
      out += chunk
      const match = /PORT (\d+)/.exec(out)
      if (match) {
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`moto exited (${code}) before listening: ${stderr}`))
    })
  })
  const url = `http://127.0.0.1:${port}`
  const post = async (pathname: string, body: string) => {
    const response = await fetch(`${url}${pathname}`, {method: 'POST', body})
    if (!response.ok) throw new Error(`POST ${pathname}: ${response.status} ${await response.text()}`)
  }
  return {
    url,
    async createCluster(name, region = 'us-east-1') {
      const eks = new EKSClient({region, endpoint: url, credentials: {accessKeyId: fakeAccessKeyId, secretAccessKey: fakeSecretAccessKey}})
      try {
        await eks.send(
          new CreateClusterCommand({
            name,
            roleArn: `arn:aws:iam::${motoAccount}:role/eks-cluster`,
            resourcesVpcConfig: {subnetIds: ['subnet-1']},
            version: '1.35',
          }),
        )
      } finally {
        eks.destroy()
      }
    },
    async editCluster(edit) {
      await post('/_elife-test/eks/cluster', JSON.stringify({region: 'us-east-1', ...edit}))
    },
    async setCatalog(catalog) {
      await post('/_elife-test/eks/catalog', JSON.stringify(catalog))
    },
    async enforceAuth(allowed = 0) {
      await post('/moto-api/reset-auth', String(allowed))
    },
    async stop() {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** A throwaway HOME with its own AWS config, kube dir and cache: the real machine's are never read. */
export interface AwsSandbox {
  home: string
  env: NodeJS.ProcessEnv
  kubeconfig: string
  /** Writes ~/.aws/config and ~/.aws/credentials of the sandbox. */
  writeAwsFiles(config: string, credentials?: string): void
}

export function awsSandbox(moto: Pick<Moto, 'url'>, overrides: NodeJS.ProcessEnv = {}): AwsSandbox {
  const home = mkdtempSync(path.join(tmpdir(), 'elife-k8s-eks-home-'))
  mkdirSync(path.join(home, '.aws'))
  const kubeconfig = path.join(home, '.kube', 'config')
  // Only what a process needs to run; every AWS_*, KUBECONFIG and XDG variable of the real
  // environment is left behind.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    HOME: home,
    USER: 'tester',
    PYENV_VERSION: process.env.PYENV_VERSION,
    PYENV_ROOT: process.env.PYENV_ROOT,
    NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS,
    NO_COLOR: '1',
    XDG_CACHE_HOME: path.join(home, '.cache'),
    KUBECONFIG: kubeconfig,
    AWS_CONFIG_FILE: path.join(home, '.aws', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, '.aws', 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: fakeAccessKeyId,
    AWS_SECRET_ACCESS_KEY: fakeSecretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_EKS: moto.url,
    AWS_ENDPOINT_URL_STS: moto.url,
    AWS_PAGER: '',
    ...overrides,
  }
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name]
  return {
    home,
    env,
    kubeconfig,
    writeAwsFiles(config, credentials) {
      writeFileSync(path.join(home, '.aws', 'config'), config)
      if (credentials !== undefined) writeFileSync(path.join(home, '.aws', 'credentials'), credentials)
    },
  }
}

/**
 * moto with one EKS cluster for the tests of one file: started in beforeAll, stopped in afterAll.
 * `current` is the running moto once the file's tests run.
 */
export function motoWithCluster(clusterName: string): {readonly current: Moto} {
  let moto: Moto | undefined
  beforeAll(async () => {
    moto = await startMoto()
    await moto.createCluster(clusterName)
  })
  afterAll(async () => {
    await moto?.stop()
  })
  return {
    get current() {
      if (!moto) throw new Error('moto is not running yet: use it inside the tests')
      return moto
    },
  }
}
