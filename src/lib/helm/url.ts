/**
 * Credentials written into a URL (`https://user:password@host/`, `https://token@host/`, as chart
 * repositories and Git remotes are often given) replaced by `***`, wherever such a URL appears in
 * a text: a chart argument, a HelmRelease's chart source, helm's or git's own error line.
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(/\b([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s/@'"`]+@/g, '$1***@')
}
