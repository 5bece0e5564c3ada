import {defineConfig} from 'vitest/config'

// Two projects in one run: `unit` (plain objects, no cluster) and `integration`, which talks to
// the real local cluster that test/setup/cluster-global.ts starts once for the whole run (or to
// the cluster ELIFE_K8S_TEST_KUBECONFIG names). `npx vitest run --project unit` skips the cluster.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Under CI, also write a JSON report so .ci/run can print a plain "N passed, N failed" line.
    reporters: process.env.CI ? ['default', ['json', {outputFile: '.ci-results.json'}]] : ['default'],
    projects: [
      {test: {name: 'unit', include: ['test/unit/**/*.test.ts']}},
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/cluster-global.ts'],
          testTimeout: 180_000,
          hookTimeout: 600_000,
          // The files share one cluster: one at a time keeps them from stepping on each other's
          // objects and keeps a 2-core machine responsive.
          fileParallelism: false,
        },
      },
    ],
  },
})
