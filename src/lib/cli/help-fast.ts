// `elife-k8s --help`, `<command> --help`, `-h` and `elife-k8s` alone: oclif's own help, run from one
// file. scripts/build.mjs bundles this module with @oclif/core and its dependencies (and our help
// class, src/help.ts) into dist/lib/cli/help-fast.cjs. From node_modules, oclif's help path loads
// ~145 CommonJS files and, through oclif's platform check (wsl-utils) and our ES module help
// class, Node's ES module loader: that costs ~30 ms of a ~115 ms --help. The code that runs is the
// same: oclif's execute, Config (plugins and manifests), normalizeArgv and help, and ElifeHelp.
//
// bin/main.js sends here only a command line oclif answers with help (isHelpRequest in ./fast.ts,
// the rule of oclif's helpAddition over package.json's oclif.additionalHelpFlags), so no command
// ever runs on this copy of oclif: the commands and plugins load @oclif/core from node_modules, as before.
// ELIFE_K8S_FAST_PATH=0 turns it off with the other fast paths; test/integration/help-fast.test.ts
// compares every command's help both ways, byte for byte.
import {execute} from '@oclif/core/execute'
import type * as OclifHelp from '@oclif/core/help'
import {settings} from '@oclif/core/settings'

import ElifeHelp from '../../help.js'

/** Shows the help oclif would for `argv` (a help request: isHelpRequest), with the CLI's root `dir`. */
export async function runHelp(dir: string, argv: string[]): Promise<void> {
  // oclif loads the help class named in package.json (oclif.helpClass: dist/help.js, an ES module
  // that imports @oclif/core from node_modules). This copy of oclif gets the same class, bundled
  // with it. The exports object itself (CommonJS), so that oclif's run sees the change.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundled CommonJS module's own exports, not an ES module namespace (read-only)
  const help: {loadHelpClass: typeof OclifHelp.loadHelpClass} = require('@oclif/core/help')
  help.loadHelpClass = async () => ElifeHelp
  // As bin/main.js sets it for the oclif in node_modules: dist/ is built, never transpiled.
  settings.enableAutoTranspile = false
  await execute({args: argv, dir})
}
