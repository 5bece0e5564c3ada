#!/usr/bin/env node
import {quietBundledDeprecations} from './quiet-deprecations.js'

// package.json supports Node >= 20.19; the AWS SDK's "will require node >= 22" notice would
// otherwise reach kubectl's terminal from every token kubectl asks for.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
// oclif's own engine check loads semver and reads its package.json on every start (~15 ms); npm
// already checks package.json's engines (node >= 20.19) at install.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'

// dist/ is bundled: keep quiet the deprecation warnings Node gives only outside node_modules.
quietBundledDeprecations(process)

// kubectl runs `elife-k8s token` before its requests: answer it without loading oclif (and, from
// the token cache, without the AWS SDK). Whatever the fast path leaves (--help, bad flags,
// unexpected failures) falls through to the full command below.
async function tokenFastPath() {
  try {
    const {runTokenFast} = await import('../dist/lib/eks/token-fast.js')
    return await runTokenFast(process.argv.slice(3), process.env)
  } catch {
    return false
  }
}

if (!(process.argv[2] === 'token' && (await tokenFastPath()))) {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
