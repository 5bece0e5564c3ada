import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {BaseCommand} from '../base-command.js'
import {runAction} from '../lib/cli/action.js'
import {durationFlag} from '../lib/duration.js'
import {thousands} from '../lib/render/number.js'
import {humanBytes, sniffAction, type SniffInput, stopOnSignals} from '../lib/sniff/action.js'
import type {SniffResult} from '../lib/sniff/sniff.js'
import {DEFAULT_IMAGE, type SniffMode} from '../lib/sniff/specs.js'

export type {SniffResult} from '../lib/sniff/sniff.js'

export default class Sniff extends BaseCommand<typeof Sniff> {
  // Ctrl-C stops the capture and cleans up (its own SIGINT/SIGTERM handler).
  static override handlesSignals = true

  static override summary = 'Capture packets in a pod with tcpdump, into a pcap file, a pipe, or wireshark.'

  static override description = `Replaces the runbook's "Sniffing packets" (the ksniff kubectl plugin).

Modes:
  ephemeral (default)  adds an ephemeral debug container running tcpdump from --image to the pod,
                       sharing the chosen container's process and network namespaces. Works for
                       distroless and non-root containers. The container runs as root with
                       NET_RAW/NET_ADMIN. Ephemeral containers cannot be removed: once the capture
                       ends its tcpdump stops and the container stays in the pod's spec, stopped,
                       until the pod is replaced. A namespace enforcing PodSecurity "baseline" or
                       "restricted" refuses it.
  upload               ksniff's default: copies a static tcpdump (--tcpdump-binary) into the
                       container over exec (sh + head -c), runs it there and removes it after.
                       Needs sh in the container, and root or NET_RAW to capture.
  privileged           runs a short-lived privileged pod (hostPID, hostNetwork) on the target's
                       node, finds a process of the target container by its container ID in
                       /proc/*/cgroup and runs tcpdump inside that process's network namespace
                       (nsenter -n). The pod is deleted when the capture ends.

With no -c the application container is chosen, not a sidecar (istio-proxy, *-exporter,
config-reloader...), and the choice is printed. The capture goes to -o FILE, to stdout with -o -,
or, when neither is given, into wireshark (or tshark) if one is installed. It stops on Ctrl-C,
--duration or --count; the file is always a valid pcap (a last packet cut in half is left out).

Default --image: ${DEFAULT_IMAGE} (has sh, tcpdump and nsenter).`

  static override examples = [
    {
      description: "Watch the journal pod's HTTP traffic live in wireshark",
      command: '<%= config.bin %> <%= command.id %> journal-6d9f7c5b8-x2x7q -n prod -f "tcp port 80"',
    },
    {
      description: 'One minute of DNS traffic into a file',
      command: '<%= config.bin %> <%= command.id %> reviewer-0 -n prod -f "port 53" --duration 1m -o dns.pcap',
    },
    {
      description: 'The first 100 packets, piped to tshark',
      command: '<%= config.bin %> <%= command.id %> reviewer-0 -n prod --count 100 -o - --yes | tshark -r -',
    },
    {
      description: 'A sidecar instead of the app container',
      command: '<%= config.bin %> <%= command.id %> journal-6d9f7c5b8-x2x7q -n prod -c memcached-exporter -o exporter.pcap',
    },
    {
      description: "ksniff's way, with a static tcpdump",
      command: '<%= config.bin %> <%= command.id %> reviewer-0 -n prod --mode upload --tcpdump-binary ./static-tcpdump -o reviewer.pcap',
    },
    {
      description: 'From the node, for pods in a PodSecurity-restricted namespace',
      command: '<%= config.bin %> <%= command.id %> api-0 -n restricted --mode privileged --helper-namespace kube-system -o api.pcap',
    },
    {
      description: 'Check that the cluster would accept the debug container, changing nothing',
      command: '<%= config.bin %> <%= command.id %> reviewer-0 -n prod --dry-run',
    },
  ]

  static override args = {
    pod: Args.string({description: 'The pod to capture in.', required: true}),
  }

  static override flags = {
    container: Flags.string({char: 'c', description: 'The container whose network to capture (default: the application container, not a sidecar).'}),
    filter: Flags.string({char: 'f', description: 'A tcpdump filter expression, e.g. "tcp port 80 and host 10.0.1.5".'}),
    output: Flags.string({char: 'o', description: 'Write the pcap to this file, or "-" for stdout (default: open wireshark/tshark).'}),
    mode: Flags.option({
      options: ['ephemeral', 'upload', 'privileged'] as const,
      default: 'ephemeral',
      description: 'How to run tcpdump (see the description).',
    })(),
    image: Flags.string({description: 'Image with sh and tcpdump for ephemeral and privileged modes.', default: DEFAULT_IMAGE}),
    'tcpdump-binary': Flags.string({description: 'With --mode upload: a statically linked tcpdump to copy into the container.'}),
    'upload-dir': Flags.string({description: 'With --mode upload: the writable directory in the container to copy it to.', default: '/tmp'}),
    'helper-namespace': Flags.string({description: "With --mode privileged: the namespace of the helper pod (default: the target pod's)."}),
    interface: Flags.string({char: 'i', description: 'The interface to capture on, inside the pod.', default: 'any'}),
    duration: Flags.string({char: 'd', description: 'Stop after this long, e.g. 30s, 5m, 1h.', exclusive: ['count']}),
    count: Flags.integer({description: 'Stop after this many packets.', min: 1, exclusive: ['duration']}),
    'start-timeout': Flags.string({description: 'How long the debug container or helper pod may take to start (image pull included).', default: '2m'}),
    'dry-run': Flags.boolean({description: 'Check the plan with the API server (server-side dry run) and change nothing.', default: false}),
    yes: Flags.boolean({char: 'y', description: 'Do not ask before adding the debug container / creating the helper pod.', default: false}),
  }

  public async run(): Promise<SniffResult> {
    const {flags, args} = this
    const stop = stopOnSignals(this.io)
    try {
      const input: SniffInput = {
        namespace: this.namespace,
        pod: args.pod,
        container: flags.container,
        mode: flags.mode as SniffMode,
        image: flags.image,
        capture: {interface: flags.interface, filter: flags.filter, count: flags.count},
        durationMs: flags.duration ? durationFlag(flags.duration, '--duration') : undefined,
        tcpdumpBinary: flags['tcpdump-binary'],
        uploadDir: flags['upload-dir'],
        helperNamespace: flags['helper-namespace'],
        startTimeoutMs: durationFlag(flags['start-timeout'], '--start-timeout'),
        output: flags.output,
        signal: stop.signal,
      }
      const result = await runAction(this.ctx, sniffAction(), input, {dryRun: flags['dry-run'], yes: flags.yes})
      this.report(result)
      return result
    } finally {
      stop.dispose()
    }
  }

  /** What was captured and what is true of the helper now: on stderr (stdout is for the pcap with -o -). */
  private report(result: SniffResult): void {
    const helper = result.helper
    const helperLine =
      helper.kind === 'ephemeral-container'
        ? `debug container "${helper.name}" of pod "${result.pod}" in ${result.namespace}: ${helper.state}; ${result.dryRun ? 'once added, it' : 'it'} cannot be removed from the pod (a Kubernetes limit on ephemeral containers) and goes away when the pod is replaced${helper.earlier?.length ? `; earlier sniffs left: ${helper.earlier.join(', ')}` : ''}`
        : helper.kind === 'helper-pod'
          ? `helper pod "${helper.name}" in ${helper.namespace} on node ${helper.node}: ${helper.state}`
          : `tcpdump binary ${helper.name} in container "${result.container}": ${helper.state}`
    if (result.dryRun) {
      this.io.say(helperLine)
      this.io.say(`it would run: ${result.command.map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`)
      return
    }
    this.io.say(
      `${thousands(result.packets)} packets (${humanBytes(result.bytes)}) captured from container "${result.container}" of pod "${result.pod}" in ${result.namespace} into ${result.output}`,
    )
    this.io.say(helperLine)
  }
}
