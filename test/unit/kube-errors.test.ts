import {ApiException} from '@kubernetes/client-node'
import {describe, expect, it} from 'vitest'

import {CliError, ExitCode} from '../../src/lib/errors.js'
import {toCliError} from '../../src/lib/kube/errors.js'

const status = (code: number, message: string) => new ApiException(code, 'x', JSON.stringify({kind: 'Status', code, message}), {})
const action = {verb: 'list pods', target: 'in all namespaces', server: 'https://k8s:6443', context: 'prod'}

describe('toCliError', () => {
  it("maps 403 to forbidden with the API server's own reason", () => {
    const err = toCliError(status(403, 'pods is forbidden: User "viewer" cannot list resource "pods"'), action) as CliError
    expect(err.exitCode).toBe(ExitCode.FORBIDDEN)
    expect(err.line).toMatch(/^cannot list pods in all namespaces: pods is forbidden: User "viewer"/)
  })

  it('maps 401 to forbidden and names the context', () => {
    const err = toCliError(status(401, 'Unauthorized'), action) as CliError
    expect(err.exitCode).toBe(ExitCode.FORBIDDEN)
    expect(err.message).toContain('context "prod"')
  })

  it('maps 404 and 409', () => {
    expect((toCliError(status(404, 'not found'), action) as CliError).exitCode).toBe(ExitCode.NOT_FOUND)
    expect((toCliError(status(409, 'conflict'), action) as CliError).exitCode).toBe(ExitCode.CONFLICT)
  })

  it('maps connection failures, however deeply wrapped, to unreachable', () => {
    const refused = Object.assign(new Error('request failed'), {cause: Object.assign(new Error('connect'), {code: 'ECONNREFUSED'})})
    const err = toCliError(refused, action) as CliError
    expect(err.exitCode).toBe(ExitCode.UNREACHABLE)
    expect(err.message).toBe('cannot list pods in all namespaces: the API server https://k8s:6443 is unreachable (ECONNREFUSED)')
  })

  it('passes CliErrors and unknown errors through', () => {
    const mine = new CliError('usage', 'x')
    expect(toCliError(mine, action)).toBe(mine)
    const weird = new TypeError('boom')
    expect(toCliError(weird, action)).toBe(weird)
  })
})
