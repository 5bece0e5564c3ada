// oclif's command_not_found hook: one line, exit 2, the closest commands (src/lib/cli/not-found.ts).
import type {Hook} from '@oclif/core/hooks'

import {reportUnknownCommand} from '../lib/cli/not-found.js'

const hook: Hook.CommandNotFound = async function ({argv = [], config, id}) {
  reportUnknownCommand(config, [...id.split(':'), ...argv])
}

export default hook
