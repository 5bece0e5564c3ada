import type {CoreV1Api} from '@kubernetes/client-node'

/**
 * Test files run one at a time, but the namespaces an earlier file deleted may still be
 * terminating (their pods and release Secrets going away): a test comparing `-A` output taken at
 * two moments waits for a quiet cluster first.
 */
export async function waitForNoTerminatingNamespaces(core: CoreV1Api, limitMs = 150_000): Promise<void> {
  for (let waited = 0; ; waited += 500) {
    const terminating = (await core.listNamespace()).items.filter((ns) => ns.status?.phase === 'Terminating').map((ns) => ns.metadata?.name)
    if (terminating.length === 0) return
    if (waited > limitMs) throw new Error(`namespaces still terminating after ${limitMs / 1000} s: ${terminating.join(', ')}`)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}
