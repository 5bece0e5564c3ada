import * as Flags from '@oclif/core/flags'

import {allNamespacesFlag, BaseCommand} from '../base-command.js'
import {imagesFlags, oclifOptions} from '../lib/cli/flags.js'
import {imagesAction, imagesInput, type ImagesResult} from '../lib/images/action.js'
import {renderImages} from '../lib/images/render.js'

export type {ImagesResult} from '../lib/images/action.js'

export default class Images extends BaseCommand<typeof Images> {
  static override summary = 'List the container images running on the cluster.'

  static override description = `Replaces the runbook's "List all image versions running on cluster" one-liner (kubectl get pods -o jsonpath=... | sort | column -t), counting init and ephemeral containers too, and reading pods in pages so memory stays flat on a large cluster.

The default view has one row per image, with how many pods and containers run it and in which namespaces. --by pod has one row per container (init and ephemeral containers marked); --wide adds the digest actually running and the pod's phase to that view (--wide without --by pod is refused with exit code 2: a row per image has no single digest or phase).`

  static override examples = [
    {description: 'Every image in use, cluster-wide', command: '<%= config.bin %> <%= command.id %> -A'},
    {description: 'Where does the journal image run, and which digest?', command: '<%= config.bin %> <%= command.id %> -A --by pod --wide --image journal'},
    {description: 'Containers of the reviewer pods in prod', command: '<%= config.bin %> <%= command.id %> -n prod -l app=libero-reviewer --by pod'},
    {description: 'As JSON, for jq', command: "<%= config.bin %> <%= command.id %> -A --by pod --json | jq -r '.rows[] | [.namespace, .pod, .image] | @tsv'"},
  ]

  static override flags = {
    'all-namespaces': allNamespacesFlag,
    output: Flags.string(oclifOptions(imagesFlags.output)),
    by: Flags.option(oclifOptions(imagesFlags.by))(),
    wide: Flags.boolean(oclifOptions(imagesFlags.wide)),
    selector: Flags.string(oclifOptions(imagesFlags.selector)),
    image: Flags.string(oclifOptions(imagesFlags.image)),
  }

  public async run(): Promise<ImagesResult> {
    const input = imagesInput(this.flags)
    const result = await imagesAction.run(this.ctx, input)
    await renderImages(this.io, input, result)
    return result
  }
}
