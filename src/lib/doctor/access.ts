import {type DoctorCheck, ok} from './check.js'

/** The context and the API server's version: the first thing an admin asks, and what the others need. */
export const access: DoctorCheck = {
  id: 'access',
  title: 'Cluster access',
  async run({reader}) {
    const version = await reader.raw<{gitVersion?: string; platform?: string}>('/version', 'get /version')
    const server = reader.kc.getCurrentCluster()?.server ?? '?'
    const context = reader.kc.getCurrentContext()
    // EKS puts its platform version in the gitVersion suffix (v1.30.4-eks-a737599).
    const eks = /-eks-/.test(version.gitVersion ?? '') ? ' (EKS)' : ''
    return ok(`context "${context}", API server ${server} runs Kubernetes ${version.gitVersion ?? '?'}${eks}`)
  },
}
