// `elife-k8s lint` on the fast path (src/lib/cli/fast.ts), bundled into one file: the same body as
// src/commands/lint.ts (runLintCommand), on CommandOutput, so that no Kubernetes client is loaded
// (--from-cluster and the cluster flags are left to oclif).
import {type LintFlags, runLintCommand} from '../lint/command.js'
import type {FastContext, ParsedFlags} from './fast.js'
import {runFastCommand} from './fast-run.js'
import {CommandOutput} from './output-io.js'

export function run(flags: ParsedFlags, env: NodeJS.ProcessEnv, {args, version}: FastContext): Promise<void> {
  return runFastCommand(
    (global, json, environment) => new CommandOutput(global, json, environment),
    (io) => runLintCommand(io, {paths: args, flags: flags as unknown as LintFlags, json: io.json, version}),
    flags,
    env,
  )
}
