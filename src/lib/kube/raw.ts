import {ApiException, type KubeConfig} from '@kubernetes/client-node'
import fetch from 'node-fetch'

/**
 * A GET through client-node's own connection set-up (KubeConfig.applyToFetchOptions: TLS,
 * client certificates, tokens, exec credential plugins, proxies) and its HTTP client, that
 * returns the parsed JSON as the API server sent it. The generated API classes would also run
 * every object through ObjectSerializer, which on a 10,000-pod list costs more time and memory
 * than the request itself; list commands that read a few fields use this instead.
 */
export async function getJson<T>(
  kc: KubeConfig,
  apiPath: string,
  query: Record<string, string | number | undefined> = {},
  headers: Record<string, string> = {},
): Promise<T> {
  const cluster = kc.getCurrentCluster()
  if (!cluster) throw new Error('the kubeconfig has no current cluster')
  const url = new URL(cluster.server.replace(/\/+$/, '') + apiPath)
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') url.searchParams.set(key, String(value))
  const init = await kc.applyToFetchOptions({headers})
  const response = await fetch(url.toString(), {...init, method: 'GET'} as Parameters<typeof fetch>[1])
  const text = await response.text()
  if (!response.ok) {
    const headers: Record<string, string> = {}
    response.headers.forEach((value, key) => (headers[key] = value))
    throw new ApiException(response.status, `HTTP ${response.status} for GET ${apiPath}`, text, headers)
  }
  return JSON.parse(text) as T
}
