import type {KubeConfig} from '@kubernetes/client-node'

import type {CommandIO} from '../cli/io.js'
import {CliError, isCliError} from '../errors.js'
import {pagedList} from '../kube/list.js'
import {getJson} from '../kube/raw.js'
import type {SchemaSet} from '../rules/schema.js'
import {type CelRule, crdEntries, objectMetaDefinition} from '../rules/schema-convert.js'

// `lint --from-cluster` (issue 17, rule 2): custom resources validated against the CRDs the live
// cluster serves, read from its API, for kinds the bundle lacks and at the cluster's versions (the
// cluster's schema wins over the bundled one for the same group, version and kind). CRDs in the
// repository still win over both.

const crdPath = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions'

/** The cluster's CustomResourceDefinitions as the API server serves them (raw JSON, paged). */
export function listClusterCrds(kc: KubeConfig): Promise<unknown[]> {
  return pagedList<unknown, unknown[]>({
    fetchPage: (token) => getJson(kc, crdPath, {limit: 500, continue: token}),
    init: () => [],
    add: (acc, items) => {
      acc.push(...items)
    },
  })
}

/** `lint --from-cluster`'s schemas (LintInput.clusterSchemas): the cluster's CRDs, read through the command's IO, over the base set. */
export function clusterSchemas(io: CommandIO): (base: SchemaSet | undefined) => Promise<SchemaSet> {
  return async (base) => {
    const crds = await io
      .callApi(readCrdsAction, () => listClusterCrds(io.kube.kc))
      .catch((error: unknown) => {
        throw fromClusterError(error)
      })
    return withClusterCrds(base, crds)
  }
}

/** What a failed read of the cluster's CRDs is called in its one line. */
export const readCrdsAction = {verb: 'read', target: "the cluster's CRDs for --from-cluster"} as const

/**
 * A failed read of the cluster's CRDs (unreachable, timed out, forbidden...) stays a failure with
 * its own exit code: the user asked for the cluster's schemas, and judging without them would
 * print a verdict they did not ask for (as kubectl's --validate fails when it cannot read the
 * server's schemas). The line also says the way out that needs no cluster.
 */
export function fromClusterError(error: unknown): unknown {
  if (!isCliError(error) || error.kind === 'interrupted' || error.kind === 'terminated') return error
  const without = 'without --from-cluster, lint checks against its bundled schemas only'
  return new CliError(error.kind, error.message, {hint: error.hint ? `${error.hint}; ${without}` : without, cause: error.cause ?? error})
}

/** The schema set with the cluster's CRDs added over it. */
export function withClusterCrds(base: SchemaSet | undefined, crds: readonly unknown[]): SchemaSet {
  const definitions: Record<string, unknown> = {}
  const kinds: Record<string, string> = {}
  const cel: Record<string, CelRule[]> = {}
  for (const crd of crds) {
    for (const entry of crdEntries(crd)) {
      definitions[entry.name] = entry.schema
      kinds[entry.kind] = entry.name
      cel[entry.name] = entry.cel
    }
  }
  return {
    sources: [...(base?.sources ?? []), `the cluster's ${crds.length} CRD${crds.length === 1 ? '' : 's'}`],
    kinds: {...base?.kinds, ...kinds},
    cel: {...base?.cel, ...cel},
    // The cluster's definitions are compiled when used; the bundle's precompiled validators serve the rest.
    compiled: (name) => (definitions[name] === undefined ? base?.compiled?.(name) : undefined),
    definitions: () => ({[objectMetaDefinition]: {type: 'object'}, ...base?.definitions?.(), ...definitions}),
  }
}
