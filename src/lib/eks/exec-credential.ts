// Loaded on the token fast path: node built-ins only, no SDK, no oclif.

/** What kubectl reads from an exec credential plugin's stdout. */
export interface ExecCredential {
  kind: 'ExecCredential'
  apiVersion: string
  spec: Record<string, never>
  status: {expirationTimestamp: string; token: string}
}

const supportedApiVersions = new Set(['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'])
export const defaultExecApiVersion = 'client.authentication.k8s.io/v1beta1'

/**
 * The apiVersion kubectl asked for in KUBERNETES_EXEC_INFO (set by client-go >= 1.20), else
 * v1beta1, as `aws eks get-token` decides it. v1alpha1 is gone from kubectl since 1.24.
 */
export function execCredentialApiVersion(env: NodeJS.ProcessEnv): string {
  const raw = env.KUBERNETES_EXEC_INFO
  if (!raw) return defaultExecApiVersion
  try {
    const apiVersion = (JSON.parse(raw) as {apiVersion?: unknown}).apiVersion
    return typeof apiVersion === 'string' && supportedApiVersions.has(apiVersion) ? apiVersion : defaultExecApiVersion
  } catch {
    return defaultExecApiVersion
  }
}

/** Field order as aws-cli prints it. */
export function execCredential(apiVersion: string, token: string, expiration: Date): ExecCredential {
  return {kind: 'ExecCredential', apiVersion, spec: {}, status: {expirationTimestamp: rfc3339Seconds(expiration), token}}
}

/** 2026-11-24T14:56:00Z: the second-precision RFC 3339 form aws-cli writes. */
export function rfc3339Seconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}
