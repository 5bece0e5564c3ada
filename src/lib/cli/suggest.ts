// What a misspelt command line suggests (src/hooks/not-found.ts): the closest command ids in the
// space-separated form a user types. Pure, so test/unit/cli-suggest.test.ts covers it.

/** Optimal string alignment distance: Levenshtein plus swapping two neighbours ("lsit" → "list") as one edit. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({length: a.length + 1}, (_, i) => Array.from({length: b.length + 1}, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[a.length][b.length]
}

/** A word a user could have meant as a command word; anything else (a URL, a token) is never echoed. */
export function looksLikeCommandWord(word: string): boolean {
  return /^[a-z][a-z0-9-]{0,31}$/i.test(word)
}

export interface NotFound {
  /** What to show of what was typed: the known words and the first unknown one, when it looks like a command word. */
  typed?: string
  /** The closest commands or topics, space-separated, best first (at most 3). */
  suggestions: string[]
  /** A topic the typed words start with (e.g. "helm"), for "elife-k8s helm --help". */
  topic?: string
}

/**
 * `words`: what was typed before the first flag; `ids`: every command id, alias and topic in the
 * space-separated form. Each id is compared with as many typed words as it has.
 */
export function closestCommands(words: readonly string[], ids: readonly string[], topics: readonly string[]): NotFound {
  let known = 0
  while (known < words.length && topics.includes(words.slice(0, known + 1).join(' '))) known++
  const topic = known > 0 ? words.slice(0, known).join(' ') : undefined
  const scored = ids
    .map((id) => {
      const width = id.split(' ').length
      const typedWords = words.slice(0, width)
      // Only words a user could have meant as command words count; a stray argument never matches.
      // The topic typed right ("helm" of "helm lsit") is not a suggestion.
      if (width <= known || typedWords.length < width || !typedWords.every(looksLikeCommandWord)) return {id, width, distance: Infinity}
      return {id, width, distance: editDistance(typedWords.join(' '), id)}
    })
    .filter(({id, distance}) => distance <= Math.max(2, Math.floor(id.length / 3)))
    .sort((a, b) => a.distance - b.distance || b.width - a.width || a.id.localeCompare(b.id))
  const best = scored.filter((s) => s.distance === scored[0].distance)
  // "helm list" rather than both "helm" and "helm list".
  const suggestions = best
    .map((s) => s.id)
    .filter((id, _i, all) => !all.some((other) => other.startsWith(`${id} `)))
    .slice(0, 3)
  // Echo the command words typed (as many as the suggestion has, at least up to the first unknown
  // one), never a word that could be a value.
  const width = Math.max(known + 1, ...best.map((s) => s.width))
  const shown = words.slice(0, width)
  const typed = shown.length > 0 && shown.every(looksLikeCommandWord) ? shown.join(' ') : undefined
  return {typed, suggestions, topic}
}
