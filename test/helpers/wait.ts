export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Polls `fn` until it gives a value (anything but undefined, null or false) and returns it; throws
 * "timed out waiting for <what>" after `timeoutMs`. For states the cluster reaches on its own time.
 */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  {timeoutMs = 120_000, intervalMs = 200}: {timeoutMs?: number; intervalMs?: number} = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await fn()
    if (value !== undefined && value !== null && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(intervalMs)
  }
}
