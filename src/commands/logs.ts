import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {BaseCommand, namespaceFlag} from '../base-command.js'
import {oclifOptions, outputFlag} from '../lib/cli/flags.js'
import {logsAction, type LogsResult} from '../lib/logs/action.js'
import {type Component, components} from '../lib/logs/logs.js'

export type {LogsResult} from '../lib/logs/action.js'

export default class Logs extends BaseCommand<typeof Logs> {
  // Ctrl-C is how `logs -f` ends: it stops the stream itself (exit 0).
  static override handlesSignals = true

  static override summary = 'Stream the logs of helm-operator or flux, found by label, following across pod restarts.'

  static override description = `Replaces \`kubectl -n flux logs helm-operator-<hash> --follow\` from the runbook's "Debugging": no need to look up the pod's hash-suffixed name first.

The pod is found by its chart's labels (app=helm-operator or app=flux, and release=<--release> if given) in -n (default flux); a Running pod is preferred, the newest first. With -f the log is followed, and when the pod goes away (deleted, evicted, replaced by a rollout) the command says so on stderr, waits for the Deployment's new pod and follows that one from its start. Log lines go to stdout unchanged; messages about pods go to stderr. With --json, each log line is a JSON object of its own ({"pod", "container", "line"}, and "time" with --timestamps), one per line, so the stream can be read with jq as it comes.`

  static override examples = [
    {description: 'Follow helm-operator, across restarts', command: '<%= config.bin %> <%= command.id %> helm-operator -f'},
    {description: 'The last 10 minutes of fluxd', command: '<%= config.bin %> <%= command.id %> flux --since 10m'},
    {
      description: 'Errors only, as JSON lines',
      command: '<%= config.bin %> <%= command.id %> helm-operator --since 1h --json | jq -r \'select(.line | test("error")) | .line\'',
    },
    {description: 'Another installation', command: '<%= config.bin %> <%= command.id %> helm-operator -n flux-test --release helm-operator-test -f'},
  ]

  static override args = {
    component: Args.string({description: 'What to read the logs of.', options: Object.keys(components), required: true}),
  }

  static override flags = {
    /** The runbook's components live in flux. */
    namespace: namespaceFlag('flux'),
    // --json is a stream of JSON lines: no YAML of it.
    output: Flags.string(oclifOptions(outputFlag({}, {yaml: false}))),
    follow: Flags.boolean({char: 'f', description: 'Keep streaming new lines, and move to the new pod when the pod is replaced.', default: false}),
    since: Flags.string({description: 'Only lines newer than this (e.g. 30s, 10m, 2h).'}),
    tail: Flags.integer({description: 'Only the last N lines (of the first pod).'}),
    timestamps: Flags.boolean({description: 'Prefix each line with its timestamp.', default: false}),
    release: Flags.string({description: 'The release label of the pod (when several installations share a namespace).'}),
    container: Flags.string({char: 'c', description: "Container (default: the component's main container)."}),
  }

  // Under --json the output is the stream of JSON lines itself, so there is no result object to
  // print at the end (a final object would break line-by-line readers).
  public async run(): Promise<LogsResult | undefined> {
    const {flags} = this
    return logsAction.run(this.ctx, {
      component: this.args.component as Component,
      namespace: this.namespace,
      release: flags.release,
      container: flags.container,
      follow: flags.follow,
      since: flags.since,
      tail: flags.tail,
      timestamps: flags.timestamps,
    })
  }
}
