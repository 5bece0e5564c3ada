import {readFileSync, writeFileSync} from 'node:fs'

import YAML from 'yaml'

/** The parts of a kubeconfig file tests read back. */
export interface Kubeconfig {
  clusters: Array<{name: string; cluster: Record<string, string>}>
  users: Array<{name: string; user: {exec?: {apiVersion: string; args: string[]; command: string; env?: Array<{name: string; value: string}>}}}>
  contexts: Array<{name: string; context: {cluster: string; user: string}}>
  'current-context': string
  [key: string]: unknown
}

export function readKubeconfig(file: string): Kubeconfig {
  return YAML.parse(readFileSync(file, 'utf8')) as Kubeconfig
}

/**
 * Writes (mode 0600) a kubeconfig with one context `name` for a stand-in API server at `server`:
 * its cluster entry gets `cluster` (TLS verification off unless given), its user `user`, namespace default.
 */
export function writeKubeconfig(
  file: string,
  server: string,
  {
    name = 'stand-in',
    user = {token: 'not-a-real-token'},
    cluster = {'insecure-skip-tls-verify': true},
  }: {name?: string; user?: Record<string, unknown>; cluster?: Record<string, unknown>} = {},
): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{name, cluster: {server, ...cluster}}],
    users: [{name: 'user', user}],
    contexts: [{name, context: {cluster: name, user: 'user', namespace: 'default'}}],
    'current-context': name,
  }
  writeFileSync(file, YAML.stringify(config), {mode: 0o600})
  return file
}
