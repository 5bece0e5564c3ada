// @oclif/plugin-autocomplete completes command and flag names. After it writes its bash function
// and zsh set-up (`elife-k8s autocomplete`, `autocomplete create`), this adds a function in front
// of its own that asks `elife-k8s complete` for the word under the cursor: flag values (options,
// -o's formats, namespaces, contexts) and arguments (release and pod names), from the cluster
// within 2 s; anything else goes to the plugin's function.
import {appendFileSync, existsSync, readFileSync} from 'node:fs'
import path from 'node:path'

import type {Hook} from '@oclif/core/hooks'

const marker = '# elife-k8s: values from the cluster'

/** Bash: the words up to the cursor split at blanks (not at bash's `=` and `:`, so ARNs and --flag=value stay whole). */
export function bashCompletion(bin: string): string {
  const fn = `_${bin.replaceAll('-', '_')}_values`
  return `
${marker}
${fn}() {
  local line="\${COMP_LINE:0:COMP_POINT}" out directive cur="\${COMP_WORDS[COMP_CWORD]}" word c
  local -a words
  read -ra words <<< "$line"
  [[ "$line" =~ [[:space:]]$ ]] && words+=("")
  out="$(${bin} complete -- "\${words[@]:1}" 2>/dev/null)"
  directive="\${out%%$'\\n'*}"
  case "$directive" in
    :values)
      COMPREPLY=()
      word="\${words[\${#words[@]}-1]}"
      # bash's word under the cursor starts after its last = or :; the candidates are whole words.
      local strip="\${word%"$cur"}"
      [[ "$cur" == "=" || "$cur" == ":" ]] && strip="$word" && cur=""
      while IFS= read -r c; do [[ -n "$c" ]] && COMPREPLY+=("\${c#"$strip"}"); done <<< "\${out#*$'\\n'}"
      [[ "$out" == ":values" ]] && COMPREPLY=()
      ;;
    :files) COMPREPLY=($(compgen -f -- "$cur")) ;;
    *) _${bin}_autocomplete ;;
  esac
}
complete -F ${fn} ${bin}
`
}

/** zsh: after the plugin's compinit; its _<bin> function (autoloaded) completes the rest. */
export function zshCompletion(bin: string): string {
  const fn = `_${bin.replaceAll('-', '_')}_values`
  return `
${marker}
${fn}() {
  local out
  local -a lines
  out="$(${bin} complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)"
  lines=("\${(@f)out}")
  case "\${lines[1]}" in
    :values)
      # --flag=value: the candidates are listed and matched as values, as zsh's _arguments does.
      if compset -P '--[^=]##='; then compadd -Q -- "\${(@)\${(@)lines[2,-1]}#$IPREFIX}"
      else compadd -Q -- "\${(@)lines[2,-1]}"; fi ;;
    :files) _files ;;
    *) _${bin} "$@" ;;
  esac
}
compdef ${fn} ${bin}
`
}

const hook: Hook.Postrun = async function ({Command, config}) {
  if (Command.id !== 'autocomplete' && Command.id !== 'autocomplete:create') return
  const dir = path.join(config.cacheDir, 'autocomplete')
  const files = [
    [path.join(dir, 'functions', 'bash', `${config.bin}.bash`), bashCompletion(config.bin)],
    [path.join(dir, 'zsh_setup'), zshCompletion(config.bin)],
  ] as const
  for (const [file, text] of files) {
    if (existsSync(file) && !readFileSync(file, 'utf8').includes(marker)) appendFileSync(file, text)
  }
}

export default hook
