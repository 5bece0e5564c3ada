import {createServer, type IncomingMessage, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {clusterIdHeader, decodeToken, tokenPrefix} from '../../src/lib/eks/token-format.js'

/** How an IAM identity becomes a Kubernetes user: EKS's aws-auth mapRoles, by role ARN. */
export interface RoleMapping {
  roleArn: string
  /** {{SessionName}} is replaced, as in aws-auth. */
  username: string
  groups: string[]
}

export interface TokenReviewLog {
  authenticated: boolean
  /** The caller STS named, or why the token was refused before asking. */
  arn?: string
  reason?: string
  username?: string
}

export interface EksWebhook {
  url: string
  reviews: TokenReviewLog[]
  /** The API server's --authentication-token-webhook-config-file content (a kubeconfig). */
  configYaml(): string
  stop(): Promise<void>
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = ''
  for await (const chunk of request) body += chunk
  return body
}

/**
 * A TokenReview webhook (authentication.k8s.io/v1) doing what EKS's authenticator does with a
 * k8s-aws-v1. token: decode the presigned URL, accept only GetCallerIdentity at the expected STS
 * host with x-k8s-aws-id signed and a signature no older than 15 minutes, call it (here moto's
 * STS), and map the assumed role the caller turns out to be onto a user and groups.
 */
export async function startEksWebhook(options: {stsHost: string; clusterId: string; mappings: RoleMapping[]}): Promise<EksWebhook> {
  const reviews: TokenReviewLog[] = []

  async function review(token: string): Promise<TokenReviewLog & {groups?: string[]}> {
    if (!token.startsWith(tokenPrefix)) return {authenticated: false, reason: 'not an EKS token'}
    let url: URL
    try {
      url = decodeToken(token)
    } catch {
      return {authenticated: false, reason: 'undecodable'}
    }
    const query = url.searchParams
    if (url.host !== options.stsHost || url.pathname !== '/') return {authenticated: false, reason: `unexpected STS endpoint ${url.host}`}
    if (query.get('Action') !== 'GetCallerIdentity') return {authenticated: false, reason: 'not GetCallerIdentity'}
    if (!(query.get('X-Amz-SignedHeaders') ?? '').split(';').includes(clusterIdHeader)) return {authenticated: false, reason: `${clusterIdHeader} not signed`}
    const signedAt = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(query.get('X-Amz-Date') ?? '')
    if (!signedAt) return {authenticated: false, reason: 'no X-Amz-Date'}
    const age = Date.now() - Date.UTC(+signedAt[1], +signedAt[2] - 1, +signedAt[3], +signedAt[4], +signedAt[5], +signedAt[6])
    if (age > 15 * 60_000 || age < -5 * 60_000) return {authenticated: false, reason: 'expired'}
    const response = await fetch(url, {headers: {[clusterIdHeader]: options.clusterId}})
    const body = await response.text()
    const arn = /<Arn>([^<]+)<\/Arn>/.exec(body)?.[1]
    if (!response.ok || !arn) return {authenticated: false, reason: `STS said ${response.status}`}
    // arn:aws:sts::<account>:assumed-role/<role>/<session>, mapped by the role's IAM ARN.
    const assumed = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/.exec(arn)
    const roleArn = assumed ? `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}` : undefined
    const mapping = options.mappings.find((m) => m.roleArn === roleArn)
    if (!mapping || !assumed) return {authenticated: false, arn, reason: 'identity not mapped'}
    return {authenticated: true, arn, username: mapping.username.replace('{{SessionName}}', assumed[4]), groups: mapping.groups}
  }

  const server: Server = createServer(async (request, response) => {
    try {
      const tokenReview = JSON.parse(await readBody(request)) as {apiVersion: string; spec?: {token?: string}}
      const result = await review(tokenReview.spec?.token ?? '')
      reviews.push({authenticated: result.authenticated, arn: result.arn, reason: result.reason, username: result.username})
      const status = result.authenticated
        ? {
            authenticated: true,
            user: {username: result.username, uid: `aws-iam-authenticator:${result.arn}`, groups: result.groups, extra: {arn: [result.arn]}},
          }
        : {authenticated: false, error: result.reason}
      response.writeHead(200, {'Content-Type': 'application/json'})
      response.end(JSON.stringify({apiVersion: tokenReview.apiVersion, kind: 'TokenReview', status}))
    } catch (error) {
      response.writeHead(500)
      response.end(String(error))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/authenticate`
  return {
    url,
    reviews,
    configYaml: () => `apiVersion: v1
kind: Config
clusters:
- name: eks-authenticator
  cluster:
    server: ${url}
users:
- name: kube-apiserver
contexts:
- name: webhook
  context: {cluster: eks-authenticator, user: kube-apiserver}
current-context: webhook
`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
