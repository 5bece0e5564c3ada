import {homedir} from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {type CompletableCommand, completionOutput, whatToComplete} from '../../src/lib/cli/complete.js'

const global = {
  kubeconfig: {type: 'option'},
  context: {type: 'option'},
  namespace: {type: 'option', char: 'n'},
  output: {type: 'option', char: 'o', formats: ['json', 'yaml']},
  debug: {type: 'boolean'},
} as const
const commands: CompletableCommand[] = [
  {id: 'helm history', aliases: [], flags: {...global}, args: [{name: 'release'}]},
  {id: 'helm list', aliases: ['helm ls'], flags: {...global, 'all-namespaces': {type: 'boolean', char: 'A'}}, args: []},
  {
    id: 'logs',
    aliases: [],
    flags: {...global, namespace: {type: 'option', char: 'n', defaultNamespace: 'flux'}, tail: {type: 'option'}},
    args: [{name: 'component', options: ['helm-operator', 'flux']}],
  },
  {id: 'doctor', aliases: [], flags: {...global, 'monitoring-namespace': {type: 'option'}, strict: {type: 'boolean'}}, args: []},
]

describe('whatToComplete', () => {
  it('leaves command and flag names to the plugin', () => {
    expect(whatToComplete(['hel'], commands).wanted).toEqual({kind: 'default'})
    expect(whatToComplete(['helm', 'list', '--st'], commands).wanted).toEqual({kind: 'default'})
  })

  it('completes flag values: namespaces, contexts, -o formats, files otherwise', () => {
    expect(whatToComplete(['helm', 'ls', '-n', 'ad'], commands)).toMatchObject({wanted: {kind: 'cluster', what: 'namespaces'}, current: 'ad'})
    expect(whatToComplete(['doctor', '--monitoring-namespace=a'], commands)).toMatchObject({
      wanted: {kind: 'cluster', what: 'namespaces'},
      current: 'a',
      prefix: '--monitoring-namespace=',
    })
    expect(whatToComplete(['helm', 'list', '--context', ''], commands).wanted).toEqual({kind: 'cluster', what: 'contexts'})
    expect(whatToComplete(['helm', 'list', '-o', ''], commands).wanted).toEqual({kind: 'values', values: ['json', 'yaml']})
    expect(whatToComplete(['helm', 'list', '--kubeconfig', ''], commands).wanted).toEqual({kind: 'files'})
  })

  it("completes arguments, with the namespace and kubeconfig typed (or the command's default)", () => {
    expect(whatToComplete(['helm', 'history', '--kubeconfig', '/k', '-n', 'prod', '--debug', 'ann'], commands)).toMatchObject({
      wanted: {kind: 'cluster', what: 'releases'},
      typed: {kubeconfig: '/k', namespace: 'prod'},
      current: 'ann',
    })
    // the words come as typed: a ~/ kubeconfig is the shell's to expand, so completion does it
    expect(whatToComplete(['helm', 'history', '--kubeconfig', '~/.kube/eks', ''], commands).typed.kubeconfig).toBe(path.join(homedir(), '.kube/eks'))
    expect(whatToComplete(['logs', ''], commands)).toMatchObject({wanted: {kind: 'values', values: ['helm-operator', 'flux']}, typed: {namespace: 'flux'}})
    expect(whatToComplete(['logs', 'flux', ''], commands).wanted).toEqual({kind: 'default'})
  })

  it('prints a directive, then the candidates that start with the word, with the --flag= prefix', () => {
    const completion = whatToComplete(['doctor', '--monitoring-namespace=ku'], commands)
    expect(completionOutput(completion, ['adm', 'kube-system', 'kube-public'])).toBe(
      ':values\n--monitoring-namespace=kube-public\n--monitoring-namespace=kube-system\n',
    )
    expect(completionOutput(whatToComplete(['hel'], commands))).toBe(':default\n')
  })
})
