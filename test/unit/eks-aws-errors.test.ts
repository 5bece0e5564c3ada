import {describe, expect, it} from 'vitest'

import {toAwsCliError} from '../../src/lib/eks/aws-errors.js'

const action = {what: 'describe EKS cluster "prod" in us-east-1'}

function awsError(name: string, message: string, httpStatusCode?: number): Error {
  return Object.assign(new Error(message), {name, $metadata: {httpStatusCode}})
}

describe('toAwsCliError', () => {
  it('maps the AWS failures onto the documented exit codes', () => {
    const cases: Array<[Error, string, RegExp]> = [
      [awsError('CredentialsProviderError', 'Could not load credentials from any providers'), 'forbidden', /no AWS credentials found; set AWS_ACCESS_KEY_ID/],
      [
        awsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403),
        'forbidden',
        /AWS rejected the credentials \(InvalidClientTokenId: The security token included in the request is invalid\)/,
      ],
      [awsError('UnrecognizedClientException', 'The security token included in the request is invalid', 403), 'forbidden', /rejected the credentials/],
      [awsError('ExpiredTokenException', 'The security token included in the request is expired', 403), 'forbidden', /have expired \(ExpiredTokenException\)/],
      [
        new Error('Profile elife credential_process returned expired credentials.'),
        'forbidden',
        /have expired \(Profile elife credential_process returned expired credentials\)/,
      ],
      [
        awsError('CredentialsProviderError', 'Profile elife could not be found in the config files'),
        'forbidden',
        /no AWS credentials found \(Profile elife could not be found in the config files\)/,
      ],
      [
        awsError('AccessDenied', 'User: arn:aws:iam::1:user/x is not authorized to perform: sts:AssumeRole', 403),
        'forbidden',
        /access denied \(User: .* sts:AssumeRole\)/,
      ],
      [
        awsError('ResourceNotFoundException', 'No cluster found for name: prod.', 404),
        'not-found',
        /No cluster found for name: prod; check the name and --region/,
      ],
      [new Error('Region is missing'), 'usage', /no AWS region given; pass --region/],
      [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {code: 'ECONNREFUSED'}), 'unreachable', /could not be reached \(ECONNREFUSED\)/],
      [
        awsError(
          'SyntaxError',
          'Unexpected token \'<\', "<?xml vers"... is not valid JSON\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.',
          403,
        ),
        'forbidden',
        /AWS refused the request \(HTTP 403, with an error body the SDK could not read\)/,
      ],
      [awsError('InternalFailure', 'boom', 500), 'unexpected', /InternalFailure: boom/],
    ]
    for (const [error, kind, line] of cases) {
      const mapped = toAwsCliError(error, action)
      expect(mapped.kind, error.name).toBe(kind)
      expect(mapped.line).toMatch(/^cannot describe EKS cluster "prod" in us-east-1: /)
      expect(mapped.line).toMatch(line)
      expect(mapped.line).not.toContain('\n')
    }
  })

  it('names the profile when credentials are the problem', () => {
    expect(toAwsCliError(awsError('CredentialsProviderError', 'x'), {...action, profile: 'elife'}).line).toContain('(profile "elife")')
  })
})
