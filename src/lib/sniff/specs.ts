import type {V1EphemeralContainer, V1Pod} from '@kubernetes/client-node'

/**
 * The default capture image: nicolaka/netshoot, the network-debugging image the Kubernetes
 * community reaches for (tcpdump, nsenter, a POSIX sh; amd64 and arm64), pinned to a tag so a
 * 2 a.m. capture does not pull something new. Any image with `sh` and `tcpdump` works (--image).
 */
export const DEFAULT_IMAGE = 'docker.io/nicolaka/netshoot:v0.13'

export type SniffMode = 'ephemeral' | 'upload' | 'privileged'

export interface CaptureOptions {
  /** tcpdump's -i; "any" captures on every interface of the pod's network namespace. */
  interface: string
  /** A pcap-filter expression (man pcap-filter), passed to tcpdump as one argument. */
  filter?: string
  /** tcpdump -c: stop after this many packets. */
  count?: number
}

/**
 * tcpdump writing pcap to stdout: -U flushes after every packet (so the stream is live, not
 * held in a 4 KiB buffer), -w - writes the raw capture, -n skips DNS lookups that would show up in
 * the capture themselves.
 */
export function tcpdumpArgs(options: CaptureOptions): string[] {
  const args = ['-U', '-n', '-w', '-', '-i', options.interface]
  if (options.count !== undefined) args.push('-c', String(options.count))
  if (options.filter) args.push(options.filter)
  return args
}

/**
 * The stop logic every mode shares, as a POSIX sh fragment: stdin is kept on fd 3 (asynchronous
 * lists get /dev/null as stdin), tcpdump runs in the background, and a watcher waits for stdin to
 * close. stdin closes when sniff hangs up: we close it on Ctrl-C/--duration/--count, and the
 * kubelet closes it when the connection drops (and, for an ephemeral container, because it is
 * `stdinOnce`), so the remote tcpdump stops even if sniff itself is killed.
 */
const captureAndWatch = (tcpdump: string) => `${tcpdump} "$@" &
capture=$!
{ cat <&3 >/dev/null; kill -TERM "$capture"; } >/dev/null 2>&1 &
watcher=$!
wait "$capture"
status=$?
kill "$watcher" 2>/dev/null
exit "$status"`

const needTcpdump = `command -v tcpdump >/dev/null 2>&1 || { echo "sniff: tcpdump: executable file not found in \\$PATH" >&2; exit 127; }`

/**
 * Ephemeral container entrypoint. Attach only sees output written after it connects, so tcpdump
 * must not start (and write the pcap header) before sniff is attached: the script waits for one
 * line on stdin, which sniff sends once attached. If stdin closes first, or no line comes within
 * 5 minutes (sniff was interrupted before attaching), it exits without capturing.
 */
export const EPHEMERAL_SCRIPT = `exec 3<&0
( sleep 300; kill $$ ) >/dev/null 2>&1 &
watchdog=$!
read -r _ <&3 || exit 0
kill "$watchdog" 2>/dev/null
${needTcpdump}
${captureAndWatch('tcpdump')}`

/**
 * Privileged helper: with hostPID the node's /proc is visible; the target container's processes
 * are the ones whose cgroup path holds its container ID (true for containerd, CRI-O and docker,
 * cgroup v1 and v2), so no runtime socket or crictl is needed. nsenter enters only that process's
 * network namespace: tcpdump and its libraries come from this image, the capture sees exactly the
 * pod's interfaces. $1 is the container ID; the rest are tcpdump's arguments.
 */
export const PRIVILEGED_SCRIPT = `exec 3<&0
container_id="$1"; shift
pid=""
for cgroup in /proc/[0-9]*/cgroup; do
  if grep -q "$container_id" "$cgroup" 2>/dev/null; then pid=\${cgroup#/proc/}; pid=\${pid%/cgroup}; break; fi
done
[ -n "$pid" ] || { echo "sniff: no process of container $container_id found on this node" >&2; exit 3; }
${needTcpdump}
${captureAndWatch('nsenter -t "$pid" -n -- tcpdump')}`

/** Upload mode: $1 is the uploaded tcpdump's path inside the container; the rest its arguments. */
export const UPLOAD_SCRIPT = `exec 3<&0
binary="$1"; shift
${captureAndWatch('"$binary"')}`

export interface EphemeralSpecInput extends CaptureOptions {
  name: string
  image: string
  targetContainer: string
}

/**
 * The debug container sniff adds: it shares the target container's process namespace
 * (targetContainerName) and, like every container of the pod, its network namespace. It runs as
 * root with NET_RAW (open a packet socket) and NET_ADMIN (kubectl debug's "netadmin" profile)
 * even when the pod itself runs as non-root: capture needs them, and they apply to this container
 * only.
 */
export function ephemeralContainerSpec(input: EphemeralSpecInput): V1EphemeralContainer {
  return {
    name: input.name,
    image: input.image,
    imagePullPolicy: 'IfNotPresent',
    targetContainerName: input.targetContainer,
    command: ['sh', '-c', EPHEMERAL_SCRIPT, 'sniff', ...tcpdumpArgs(input)],
    stdin: true,
    stdinOnce: true,
    tty: false,
    terminationMessagePolicy: 'File',
    securityContext: {
      runAsUser: 0,
      runAsNonRoot: false,
      capabilities: {add: ['NET_ADMIN', 'NET_RAW']},
    },
  }
}

export interface PrivilegedPodInput {
  name: string
  namespace: string
  nodeName: string
  image: string
  targetPod: string
  /** Seconds the helper may live at most, even if sniff is killed before it can delete it. */
  lifetimeSeconds: number
}

export const HELPER_LABELS = {
  'app.kubernetes.io/name': 'elife-k8s-sniff',
  'app.kubernetes.io/managed-by': 'elife-k8s',
}

/**
 * The short-lived privileged helper, pinned to the target's node with nodeName (bypassing the
 * scheduler, as kubectl debug node/ does) and tolerating every taint so a cordoned or tainted node
 * still runs it. It only sleeps; the capture is an exec into it. activeDeadlineSeconds and the
 * sleep bound its life if sniff dies before deleting it.
 */
export function privilegedPodSpec(input: PrivilegedPodInput): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: input.name,
      namespace: input.namespace,
      labels: {...HELPER_LABELS, 'elife-k8s/sniff-target': input.targetPod.slice(0, 63).replace(/[^A-Za-z0-9]+$/, '')},
      annotations: {'elife-k8s/sniff-target': input.targetPod},
    },
    spec: {
      nodeName: input.nodeName,
      hostPID: true,
      hostNetwork: true,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      activeDeadlineSeconds: input.lifetimeSeconds,
      automountServiceAccountToken: false,
      tolerations: [{operator: 'Exists'}],
      containers: [
        {
          name: 'sniff',
          image: input.image,
          imagePullPolicy: 'IfNotPresent',
          command: ['sleep', String(input.lifetimeSeconds)],
          securityContext: {privileged: true},
        },
      ],
    },
  }
}

/** A DNS-1123 suffix: 5 characters of [a-z0-9], as kubectl debug and generateName use. */
export function randomSuffix(random: () => number = Math.random): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'
  return Array.from({length: 5}, () => alphabet[Math.floor(random() * alphabet.length)]).join('')
}

/** The name every debug container sniff adds starts with; the number after it counts the tries in one pod. */
export const EPHEMERAL_PREFIX = 'elife-k8s-sniff-'

/**
 * Debug containers an earlier sniff left in the pod (ephemeral containers cannot be removed): ours
 * are `elife-k8s-sniff-N`, and older versions of sniff named them `sniff-xxxxx`. Oldest first: the
 * older names, then by N (the API server does not keep the order they were added in).
 */
export function earlierSniffContainers(names: string[]): string[] {
  const number = (name: string) => (name.startsWith(EPHEMERAL_PREFIX) ? Number(name.slice(EPHEMERAL_PREFIX.length)) : 0)
  return names.filter((name) => new RegExp(`^${EPHEMERAL_PREFIX}\\d+$`).test(name) || /^sniff-[a-z0-9]{5}$/.test(name)).sort((a, b) => number(a) - number(b))
}

/** The next free `elife-k8s-sniff-N` among a pod's ephemeral containers: one more than the highest N, from 1. */
export function nextEphemeralName(names: string[]): string {
  const taken = new Set(names)
  let n =
    Math.max(0, ...names.map((name) => (name.startsWith(EPHEMERAL_PREFIX) ? Number(name.slice(EPHEMERAL_PREFIX.length)) : 0)).filter(Number.isSafeInteger)) + 1
  while (taken.has(`${EPHEMERAL_PREFIX}${n}`)) n++
  return `${EPHEMERAL_PREFIX}${n}`
}

/** `sniff-<pod>-<suffix>`, cut to the 63 characters a pod name label allows. */
export function helperPodName(targetPod: string, suffix: string): string {
  const stem = `sniff-${targetPod}`.slice(0, 63 - suffix.length - 1).replace(/[-.]+$/, '')
  return `${stem}-${suffix}`
}

/**
 * Upload mode's copy: `head -c SIZE` reads exactly the binary's bytes from stdin and exits, then
 * chmod makes it executable. Unlike kubectl cp's `tar xf -`, it does not wait for stdin to reach
 * EOF, which never comes on the v4 protocol (no half-close: closing stdin closes the whole socket,
 * status included) nor through kubelets that do not propagate the close. $1 size, $2 path.
 */
export const COPY_SCRIPT = `umask 077
head -c "$1" > "$2" && chmod 700 "$2"`
