#!/usr/bin/env node
// The local test cluster from the command line (npm run cluster:up / cluster:down):
//
//   node scripts/cluster/cluster.mjs up [--quiet]   start it, or reuse the running one; seed fixtures
//   node scripts/cluster/cluster.mjs down           stop every process and delete the state dir
//   node scripts/cluster/cluster.mjs status [--json]
//
// State dir: $ELIFE_K8S_CLUSTER_DIR or <repo>/.cluster. Progress goes to stderr; `up` prints one
// line on stdout, `export KUBECONFIG=...`, so `eval "$(node scripts/cluster/cluster.mjs up)"` works.
// The logic lives in harness.mjs, which tests import.
import {down, status, up} from './harness.mjs'

const [command, ...rest] = process.argv.slice(2)
const flags = new Set(rest)

function usage(code) {
  process.stderr.write('usage: node scripts/cluster/cluster.mjs up [--quiet] | down | status [--json]\n')
  process.exit(code)
}

try {
  switch (command) {
    case 'up': {
      const info = await up({quiet: flags.has('--quiet')})
      process.stderr.write(
        [
          '',
          `  server:      ${info.server}`,
          `  kubeconfig:  ${info.kubeconfig}  (context elife-local, user admin)`,
          `  viewer:      ${info.viewerKubeconfig}  (context elife-local-viewer: may only read pods in stg)`,
          `  binaries:    ${info.binDir}  (kubectl, helm, kube-apiserver, etcd, kwok, ...)`,
          `  logs:        ${info.stateDir}/logs`,
          `  use it:      export KUBECONFIG=${info.kubeconfig}; ${info.binDir}/kubectl get pods -A`,
          `  stop it:     npm run cluster:down`,
          '',
        ].join('\n'),
      )
      process.stdout.write(`export KUBECONFIG=${info.kubeconfig}\n`)
      break
    }
    case 'down':
      await down({quiet: flags.has('--quiet')})
      break
    case 'status': {
      const s = await status()
      if (flags.has('--json')) {
        process.stdout.write(JSON.stringify(s, null, 2) + '\n')
      } else if (s.up) {
        process.stdout.write(`up: ${s.server} (kubeconfig ${s.kubeconfig})\n`)
        for (const [name, c] of Object.entries(s.components)) process.stdout.write(`  ${name.padEnd(24)} pid ${c.pid}\n`)
      } else {
        process.stdout.write(`down: ${s.reason} (${s.stateDir})\n`)
      }
      process.exitCode = s.up ? 0 : 1
      break
    }
    case '-h':
    case '--help':
    case 'help':
      usage(0)
      break
    default:
      usage(2)
  }
} catch (err) {
  process.stderr.write(`cluster ${command}: ${err.message}\n`)
  process.exitCode = 1
}
