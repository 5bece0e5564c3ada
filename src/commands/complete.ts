import {CoreV1Api, CustomObjectsApi} from '@kubernetes/client-node'
import {Command} from '@oclif/core/command'

import {type ClusterValues, type CompletableCommand, type CompletableFlag, type Completion, completionOutput, whatToComplete} from '../lib/cli/complete.js'
import {CommandIO} from '../lib/cli/io.js'
import {listReleases} from '../lib/helm/list.js'
import {loadKubeConfig} from '../lib/kube/config.js'

/** Completion must never hang a shell: whatever is not answered by then is left out. */
const deadlineMs = 2000

/** HelmRelease kinds `helm debug` accepts: helm-operator's and Flux v2's. */
const helmReleaseApis = [
  {group: 'helm.fluxcd.io', version: 'v1'},
  {group: 'helm.toolkit.fluxcd.io', version: 'v2'},
  {group: 'helm.toolkit.fluxcd.io', version: 'v2beta2'},
  {group: 'helm.toolkit.fluxcd.io', version: 'v2beta1'},
]

export default class Complete extends Command {
  static override hidden = true
  static override strict = false

  static override summary = 'Completion candidates for the word under the cursor (used by the bash and zsh completion functions).'

  static override description =
    'Prints a directive (:values, :files or :default) and the candidates, one a line. Cluster values (namespaces, release and pod names) are asked for with a 2 s limit; nothing is printed on stderr.'

  static override examples = [{description: 'Namespaces starting with "ad"', command: '<%= config.bin %> <%= command.id %> -- helm list -n ad'}]

  public async run(): Promise<void> {
    // The words are read as they are (after `--`), not as this command's flags.
    this.parsed = true
    // Exit with what is known when the cluster is slow; a completion never waits longer.
    const deadline = setTimeout(() => {
      process.stdout.write(':values\n')
      process.exit(0)
    }, deadlineMs)
    deadline.unref()
    const separator = this.argv.indexOf('--')
    const words = separator === -1 ? this.argv : this.argv.slice(separator + 1)
    let output: string
    try {
      output = await this.complete(words.length === 0 ? [''] : words)
    } catch {
      output = ':values\n'
    }
    clearTimeout(deadline)
    process.stdout.write(output)
  }

  private async complete(words: readonly string[]): Promise<string> {
    const listed: CompletableCommand[] = this.config.commands
      .filter((c) => !c.hidden)
      .map((c) => ({
        id: c.id.replaceAll(':', ' '),
        aliases: c.aliases.map((a) => a.replaceAll(':', ' ')),
        flags: c.flags as Record<string, CompletableFlag>,
        args: Object.entries(c.args).map(([name, arg]) => ({name, options: arg.options})),
      }))
    let completion = whatToComplete(words, listed)
    if (!completion.command) return completionOutput(completion)
    // The manifest leaves out -o's formats and -n's default: the command's class has them.
    const loaded = await this.config.findCommand(completion.command.id.replaceAll(' ', ':'))?.load()
    if (loaded) {
      const flags = {...loaded.baseFlags, ...loaded.flags} as Record<string, CompletableFlag>
      completion = whatToComplete(
        words,
        listed.map((c) => (c.id === completion.command?.id ? {...c, flags} : c)),
      )
    }
    if (completion.wanted.kind !== 'cluster') return completionOutput(completion)
    return completionOutput(completion, await this.clusterValues(completion.wanted.what, completion))
  }

  private async clusterValues(what: ClusterValues, {typed}: Completion): Promise<string[]> {
    if (what === 'contexts')
      return loadKubeConfig({kubeconfig: typed.kubeconfig})
        .kc.getContexts()
        .map((c) => c.name)
    const io = new CommandIO({kubeconfig: typed.kubeconfig, context: typed.context, namespace: typed.namespace, 'request-timeout': `${deadlineMs}ms`}, true)
    const names = (items: Array<{metadata?: {name?: string}}>) => items.flatMap((i) => (i.metadata?.name ? [i.metadata.name] : []))
    const core = () => io.kube.api(CoreV1Api)
    switch (what) {
      case 'namespaces':
        return names((await core().listNamespace()).items)
      case 'pods':
        return names((await core().listNamespacedPod({namespace: io.namespace})).items)
      case 'releases':
        return (await listReleases(io.kube.kc, {namespace: typed.allNamespaces ? undefined : io.namespace})).releases.map((r) => r.name)
      case 'helmreleases': {
        const custom = io.kube.api(CustomObjectsApi)
        const lists = await Promise.allSettled(
          helmReleaseApis.map((api) => custom.listNamespacedCustomObject({...api, namespace: io.namespace, plural: 'helmreleases'})),
        )
        return lists.flatMap((l) => (l.status === 'fulfilled' ? names((l.value as {items: Array<{metadata?: {name?: string}}>}).items) : []))
      }
    }
  }
}
