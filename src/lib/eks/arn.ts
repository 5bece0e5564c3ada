import {CliError} from '../errors.js'

/** The parts of an IAM role ARN that the kubeconfig user name and messages need. */
export interface RoleArn {
  arn: string
  partition: string
  accountId: string
  /** The role's name without its path: `role/eks/admins` -> `admins`. */
  roleName: string
}

// IAM's own constraints: 12-digit account, role path segments and name of [\w+=,.@-].
const roleArnPattern = /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc):iam::(\d{12}):role\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]{1,64})$/

/** Checks a --role-arn before any AWS call, so a typo is a usage error and not an STS round trip. */
export function parseRoleArn(arn: string): RoleArn {
  const match = roleArnPattern.exec(arn)
  if (!match) {
    throw new CliError('usage', `--role-arn "${arn}" is not an IAM role ARN`, {
      hint: 'expected arn:aws:iam::<12-digit account>:role/<name>, e.g. arn:aws:iam::512686554592:role/kubernetes-aws--flux-prod--AmazonEKSUserRole',
    })
  }
  return {arn, partition: match[1], accountId: match[2], roleName: match[4]}
}

/** The region of an EKS cluster ARN (arn:aws:eks:<region>:<account>:cluster/<name>). */
export function clusterArnRegion(clusterArn: string): string | undefined {
  const parts = clusterArn.split(':')
  return parts.length >= 6 && parts[2] === 'eks' ? parts[3] || undefined : undefined
}
