import http from 'node:http'
import net, {type AddressInfo} from 'node:net'

import {DescribeClusterCommand} from '@aws-sdk/client-eks'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {eksClient, NoAwsRegion, resolveAwsRegion} from '../../src/lib/eks/clients.js'
import {timeoutsFor, useTimeouts} from '../../src/lib/kube/timeouts.js'

// The one place EKS/STS clients are made (src/lib/eks/clients.ts): every call, the SDK's retries
// included, is bounded by --request-timeout. Counted in connections and attempts, not in seconds.
const credentials = {accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret-example'}
const saved = {endpoint: process.env.AWS_ENDPOINT_URL_EKS, attempts: process.env.AWS_MAX_ATTEMPTS}

function listen(server: net.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)))
}

beforeEach(() => {
  // The SDK's default: three attempts for a call that times out.
  delete process.env.AWS_MAX_ATTEMPTS
})

afterEach(() => {
  useTimeouts(timeoutsFor(undefined))
  if (saved.endpoint === undefined) delete process.env.AWS_ENDPOINT_URL_EKS
  else process.env.AWS_ENDPOINT_URL_EKS = saved.endpoint
  if (saved.attempts !== undefined) process.env.AWS_MAX_ATTEMPTS = saved.attempts
})

describe('EKS clients are bounded by --request-timeout, retries included', () => {
  it('an endpoint that accepts and never answers gets one attempt, not three', async () => {
    const sockets: net.Socket[] = []
    const server = net.createServer((socket) => {
      sockets.push(socket)
      socket.on('error', () => undefined)
    })
    process.env.AWS_ENDPOINT_URL_EKS = await listen(server)
    useTimeouts(timeoutsFor('500ms'))
    const eks = await eksClient({region: 'us-east-1', credentials})
    try {
      const failure = await eks.send(new DescribeClusterCommand({name: 'elife-test'})).then(
        () => undefined,
        (error: unknown) => error as Error & {$metadata?: {attempts?: number}},
      )
      expect(failure?.name).toBe('TimeoutError')
      expect(failure?.$metadata?.attempts).toBe(1)
      expect(sockets).toHaveLength(1)
    } finally {
      eks.destroy()
      for (const socket of sockets) socket.destroy()
      server.close()
    }
  })

  it('a call that fails fast is still retried within the limit', async () => {
    let requests = 0
    const server = http.createServer((_request, response) => {
      requests++
      if (requests === 1) {
        response.writeHead(503, {'content-type': 'application/json'}).end('{"message":"busy"}')
        return
      }
      response.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({cluster: {name: 'elife-test', status: 'ACTIVE'}}))
    })
    process.env.AWS_ENDPOINT_URL_EKS = await listen(server)
    useTimeouts(timeoutsFor('30s'))
    const eks = await eksClient({region: 'us-east-1', credentials})
    try {
      const answer = await eks.send(new DescribeClusterCommand({name: 'elife-test'}))
      expect(answer.cluster?.name).toBe('elife-test')
      expect(answer.$metadata.attempts).toBe(2)
    } finally {
      eks.destroy()
      server.close()
    }
  })
})

describe('resolveAwsRegion: the one "no AWS region" decision', () => {
  it('--region, then AWS_REGION, then AWS_DEFAULT_REGION', async () => {
    expect(await resolveAwsRegion({cluster: 'c', region: 'eu-west-1'}, {AWS_REGION: 'us-east-1'})).toBe('eu-west-1')
    expect(await resolveAwsRegion({cluster: 'c'}, {AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-west-2'})).toBe('us-east-1')
    expect(await resolveAwsRegion({cluster: 'c'}, {AWS_DEFAULT_REGION: 'us-west-2'})).toBe('us-west-2')
  })

  it('none anywhere: a NoAwsRegion usage error naming the cluster and the ways to give one', async () => {
    const saved = {...process.env}
    for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) delete process.env[name]
    process.env.AWS_CONFIG_FILE = '/nonexistent'
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent'
    process.env.AWS_EC2_METADATA_DISABLED = 'true'
    try {
      const error = await resolveAwsRegion({cluster: 'elife-prod'}, {}).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(NoAwsRegion)
      expect((error as NoAwsRegion).exitCode).toBe(2)
      expect((error as NoAwsRegion).message).toBe('no AWS region for EKS cluster "elife-prod"')
      expect((error as NoAwsRegion).hint).toMatch(/pass --region, set AWS_REGION/)
    } finally {
      process.env = saved
    }
  })
})
