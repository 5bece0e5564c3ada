import {createHash} from 'node:crypto'
import {cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll} from 'vitest'

import {repoRoot} from './cli.js'

/** The GitOps repository the lint tests read (test/fixtures/gitops). */
export const gitopsFixture = path.join(repoRoot, 'test/fixtures/gitops')

/** A change to one file of a repository: `from` replaced by `to` (it must still apply), or the whole file written. */
export interface RepoEdit {
  file: string
  from?: string
  to?: string
  write?: string
}

/** Applies the edits to the repository in `dir`, in order; one that no longer applies throws. */
export function editRepo(dir: string, edits: readonly RepoEdit[]): void {
  for (const edit of edits) {
    const file = path.join(dir, edit.file)
    if (edit.write !== undefined) {
      mkdirSync(path.dirname(file), {recursive: true})
      writeFileSync(file, edit.write)
      continue
    }
    const text = readFileSync(file, 'utf8')
    if (!text.includes(edit.from!)) throw new Error(`the edit of ${edit.file} no longer applies`)
    writeFileSync(file, text.replace(edit.from!, edit.to!))
  }
}

/**
 * A test file's scratch folder for repositories, removed after the file (register it at the top
 * of the file): `write` lays one out from files (name -> text), `copy` copies one (the fixture by
 * default) and edits it; each gets a directory of its own unless `to` names one.
 */
export function scratchRepos(prefix: string) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  afterAll(() => rmSync(dir, {recursive: true, force: true}))
  let counter = 0
  const next = () => path.join(dir, `repo-${counter++}`)
  return {
    dir,
    write(files: Record<string, string>): string {
      const repo = next()
      editRepo(
        repo,
        Object.entries(files).map(([file, write]) => ({file, write})),
      )
      return repo
    },
    copy(edits: readonly RepoEdit[] = [], {from = gitopsFixture, to = next()}: {from?: string; to?: string} = {}): string {
      cpSync(from, to, {recursive: true})
      editRepo(to, edits)
      return to
    },
  }
}

/** A digest of every file's path, content, mode and mtime under `dir`: lint must leave them all as they were. */
export function treeDigest(dir: string): string {
  const hash = createHash('sha256')
  const visit = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const file = path.join(d, name)
      const stats = statSync(file)
      hash.update(`${path.relative(dir, file)}\0${stats.mode}\0${stats.mtimeMs}\0`)
      if (stats.isDirectory()) visit(file)
      else hash.update(readFileSync(file))
    }
  }
  visit(dir)
  return hash.digest('hex')
}
