// Types for harness.mjs (plain JavaScript so it runs before `npm install`), for the TypeScript
// test setup and tests that import it.

export interface ClusterInfo {
  /** Admin kubeconfig (context elife-local, user admin in system:masters), self-contained. */
  kubeconfig: string
  /** Kubeconfig of user `viewer` (context elife-local-viewer): may only get/list/watch pods in stg. */
  viewerKubeconfig: string
  /** API server URL, https://127.0.0.1:<port>. */
  server: string
  /** Directory of symlinks to the binaries in use: kubectl, helm, kube-apiserver, etcd, kwok, ... */
  binDir: string
  /** The cluster's state directory. */
  stateDir: string
}

export interface UpOptions {
  /** State directory; default $ELIFE_K8S_CLUSTER_DIR or <repo>/.cluster. */
  dir?: string
  /** No progress output on stderr. */
  quiet?: boolean
  /**
   * `--flag=value` strings appended to kube-apiserver's flags (replacing a base flag of the same
   * name), kept in cluster.json. For a running cluster with different extra args, only the API
   * server is restarted. Omit to keep whatever the running cluster has.
   */
  extraApiServerArgs?: string[]
  /** How long to wait for the fixture pods to be Running; default 180000. */
  timeoutMs?: number
  /** Seed helm releases, HelmReleases and the Alertmanager Secret (seed.mjs); default true. */
  seed?: boolean
}

export interface ComponentStatus {
  pid: number
  running: boolean
}

export interface ClusterStatus extends Partial<ClusterInfo> {
  up: boolean
  stateDir: string
  apiServerReady?: boolean
  /** Why the cluster is not up. */
  reason?: string
  ports?: {etcdClient: number; etcdPeer: number; apiServer: number; kwok: number; kubeletFront: number}
  versions?: {kubernetes: string; etcd: string; kwok: string; helm: string}
  extraApiServerArgs?: string[]
  components?: Record<'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kubelet-front' | 'kwok', ComponentStatus>
}

export const repoRoot: string
export const CONTEXT: string
export const VIEWER_CONTEXT: string

/** $ELIFE_K8S_CLUSTER_DIR or <repo>/.cluster, resolved. */
export function defaultStateDir(): string

/**
 * Starts the cluster (building binaries if needed), or reuses the healthy running one in `dir`
 * and re-applies the fixtures, then seeds helm releases, HelmReleases and the Alertmanager
 * Secret (seed.mjs). `reused` tells which.
 */
export function up(opts?: UpOptions): Promise<ClusterInfo & {reused: boolean}>

/** Stops every process of the cluster and removes its state directory; fine if nothing runs. */
export function down(opts?: {dir?: string; quiet?: boolean}): Promise<{stateDir: string; stopped: boolean}>

export function status(opts?: {dir?: string}): Promise<ClusterStatus>

/** Stops and starts only kube-apiserver, same port and flags (optionally new extra flags). */
export function restartApiServer(opts?: {dir?: string; quiet?: boolean; extraApiServerArgs?: string[]}): Promise<ClusterInfo>

/** The kube-apiserver command line for a cluster.json state (base flags + extraApiServerArgs). */
export function apiServerArgs(state: {stateDir: string; ports: {etcdClient: number; apiServer: number}; extraApiServerArgs?: string[]}): string[]
