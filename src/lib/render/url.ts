/**
 * Credentials written into URLs (chart repositories, Git remotes, `--chart`, helm's and git's own
 * error lines), shown without their secret wherever such a URL appears in a text: the password of
 * `user:password@` becomes `***` (the user name stays: it tells which deploy key or bot), an
 * http(s) URL's token-only user (`https://<token>@github.com/...`) becomes `***`, and a user name
 * alone in another scheme (ssh's `git@`) is kept. The tools themselves are given the real URL.
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(/\b([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^\s/@'"`]+)@/g, (_match, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':')
    if (colon !== -1) return `${scheme}${userinfo.slice(0, colon)}:***@`
    return /^https?:\/\/$/i.test(scheme) ? `${scheme}***@` : `${scheme}${userinfo}@`
  })
}
