import {CliError} from '../errors.js'
import {transportTimeouts} from '../kube/timeouts.js'
import {redactUrlCredentials} from '../render/url.js'

/**
 * A client for fluxd's HTTP API (Flux v1), the one fluxctl uses: the same routes and JSON shapes
 * as fluxcd/flux pkg/http/transport.go and pkg/api/v6, under <base>/api/flux.
 */
export interface FluxdGitConfig {
  remote: {url: string; branch: string; path: string}
  publicSSHKey: {key: string; fingerprints?: Record<string, {hash: string}>}
  /** git.GitRepoStatus: "new", "cloned", "ready", "unreachable", "noconfig"... */
  status: string
  errors?: string
}

/** v6.ControllerStatus, the rows of `fluxctl list-workloads`. */
export interface FluxdControllerStatus {
  ID: string
  Containers?: Array<{Name: string; Current?: {ID?: string}}> | null
  ReadOnly?: string
  Status?: string
  Rollout?: {Desired?: number; Updated?: number; Ready?: number; Available?: number; Outdated?: number; Messages?: string[] | null}
  SyncError?: string
  Automated?: boolean
  Locked?: boolean
  Ignore?: boolean
  Policies?: Record<string, string> | null
}

interface JobStatus {
  Result?: {revision?: string}
  Err?: string
  StatusString?: 'queued' | 'running' | 'failed' | 'succeeded'
}

/** --request-timeout (0: none) bounds each request to fluxd, as it bounds the API server's; `signal` may end it sooner. */
function requestSignal(signal: AbortSignal | undefined): AbortSignal | undefined {
  const {requestMs} = transportTimeouts()
  const signals = [...(requestMs > 0 ? [AbortSignal.timeout(requestMs)] : []), ...(signal ? [signal] : [])]
  return signals.length > 1 ? AbortSignal.any(signals) : signals[0]
}

export class FluxdClient {
  constructor(
    private readonly base: string,
    /** Names the pod in errors, e.g. `flux pod "flux-7d9f…" in flux`. */
    private readonly where: string,
    /** Ends every request early (doctor's per-check timeout); each is also bounded by --request-timeout. */
    private readonly signal?: AbortSignal,
  ) {}

  private async call<T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
    let response: Response
    try {
      response = await fetch(`${this.base}/api/flux${route}`, {
        method,
        headers: {Accept: 'application/json', ...(body === undefined ? {} : {'Content-Type': 'application/json'})},
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: requestSignal(this.signal),
      })
    } catch (error) {
      throw new CliError('unreachable', `fluxd in ${this.where} did not answer ${method} ${route} through the port-forward: ${(error as Error).message}`, {
        hint: 'check the flux pod is Running (`elife-k8s logs flux`) and listens on --fluxd-port',
        cause: error,
      })
    }
    const text = await response.text()
    if (!response.ok) {
      // fluxd's errors are JSON {type, help, err} when we send Accept: application/json.
      let said = text.trim().split('\n')[0] ?? ''
      try {
        const parsed = JSON.parse(text) as {help?: string; err?: string}
        said = (parsed.help || parsed.err || said).trim().split('\n')[0] ?? said
      } catch {}
      const notFluxd = response.status === 404 && !said.includes('not found') ? ' (is this fluxd?)' : ''
      throw new CliError(
        response.status === 404 ? 'not-found' : 'check-failed',
        `fluxd in ${this.where} answered ${method} ${route} with ${response.status}: ${said}${notFluxd}`,
        {
          hint: 'check the flux pod runs fluxd 1.x (`elife-k8s logs flux`), or use --generation v2 for Flux v2',
        },
      )
    }
    try {
      return (text ? JSON.parse(text) : undefined) as T
    } catch (error) {
      throw new CliError('check-failed', `fluxd in ${this.where} answered ${method} ${route} with something that is not JSON: ${text.slice(0, 80)}`, {
        hint: "is the port (--fluxd-port, default 3030) fluxd's API port?",
        cause: error,
      })
    }
  }

  /** fluxd's Git settings; a password or token in the remote URL is replaced by *** (we print it, never use it). */
  async gitRepoConfig(): Promise<FluxdGitConfig> {
    const config = await this.call<FluxdGitConfig>('POST', '/v9/git-repo-config', false)
    return config.remote?.url ? {...config, remote: {...config.remote, url: redactUrlCredentials(config.remote.url)}} : config
  }

  /** The commits up to `ref` fluxd has not applied yet (GET /v6/sync, read-only: starts no job). */
  async pendingCommits(ref: string): Promise<string[]> {
    return (await this.call<string[] | null>('GET', `/v6/sync?${new URLSearchParams({ref})}`)) ?? []
  }

  /** `fluxctl identity`: the public half of flux's git deploy key. */
  async identity(): Promise<{key: string; fingerprints?: Record<string, {hash: string}>}> {
    const config = await this.gitRepoConfig()
    return {key: config.publicSSHKey.key.trim(), fingerprints: config.publicSSHKey.fingerprints}
  }

  /** `fluxctl list-workloads [-n NS | --all-namespaces]` (empty namespace: all). */
  async workloads(namespace: string): Promise<FluxdControllerStatus[]> {
    const query = new URLSearchParams({namespace, services: ''})
    return (await this.call<FluxdControllerStatus[] | null>('GET', `/v11/services?${query}`)) ?? []
  }

  /**
   * `fluxctl sync`: check the repo is ready, start a sync job, wait for the job to resolve HEAD,
   * then wait until fluxd reports no commits left to apply up to that revision.
   */
  async sync(options: {
    timeoutMs: number
    pollMs?: number
    onProgress?: (message: string) => void
  }): Promise<{gitUrl: string; branch: string; revision: string}> {
    const pollMs = options.pollMs ?? 500
    const deadline = Date.now() + options.timeoutMs
    const config = await this.gitRepoConfig()
    if (config.status !== 'ready') {
      const detail = config.errors ? `: ${config.errors.split('\n')[0]}` : ''
      throw new CliError(
        'check-failed',
        `fluxd in ${this.where} cannot sync: git repository ${config.remote.url || '(none configured)'} is ${config.status}${detail}`,
        {
          hint: 'check the deploy key is on the repository with write access (`elife-k8s flux identity`), then run the sync again',
        },
      )
    }
    options.onProgress?.(`synchronizing with ${config.remote.url}`)
    const jobId = await this.call<string>('POST', '/v9/update-manifests', {type: 'sync', cause: {}, spec: {}})
    let revision: string | undefined
    while (!revision) {
      const status = await this.call<JobStatus>('GET', `/v6/jobs?${new URLSearchParams({id: jobId})}`)
      if (status.StatusString === 'failed') {
        throw new CliError('check-failed', `fluxd's sync job ${jobId} in ${this.where} failed: ${status.Err ?? 'no reason given'}`, {
          hint: 'see `elife-k8s logs flux` for the reason',
        })
      }
      if (status.StatusString === 'succeeded') revision = status.Result?.revision
      else await this.waitOrTimeout(deadline, pollMs, options.timeoutMs, `sync job ${jobId} is still ${status.StatusString ?? 'pending'}`)
    }
    const short = revision.slice(0, 12)
    options.onProgress?.(`revision of ${config.remote.branch} to apply is ${short}; waiting for it to be applied`)
    for (;;) {
      const pending = await this.pendingCommits(short)
      if (pending.length === 0) break
      await this.waitOrTimeout(deadline, pollMs, options.timeoutMs, `${pending.length} commit(s) up to ${short} not applied yet`)
    }
    return {gitUrl: config.remote.url, branch: config.remote.branch, revision}
  }

  private async waitOrTimeout(deadline: number, pollMs: number, timeoutMs: number, what: string): Promise<void> {
    if (Date.now() > deadline) {
      throw new CliError('check-failed', `fluxd in ${this.where} did not finish syncing within ${Math.round(timeoutMs / 1000)}s: ${what}`, {
        hint: 'fluxd carries on by itself; check `elife-k8s logs flux`, or rerun with a longer --timeout',
      })
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
}

/** fluxctl list-workloads' POLICY column. */
export function workloadPolicy(workload: FluxdControllerStatus): string {
  const policies: string[] = []
  if (workload.Automated) policies.push('automated')
  if (workload.Locked) policies.push('locked')
  if (workload.Ignore) policies.push('ignore')
  return policies.join(',')
}
