/** Byte order, as `LC_ALL=C sort` and Go's sort: the same on every machine whatever its locale. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
