/**
 * 12,345: a count with thousands separators. Not toLocaleString('en'): its first call loads ICU's
 * locale data, ~12 ms of a command that lists helm releases in ~150 ms.
 */
export function thousands(n: number): string {
  const [whole, fraction] = String(n).split('.')
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return fraction === undefined ? grouped : `${grouped}.${fraction}`
}

/** "1 node", "3 nodes": the one plural helper. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`
}
