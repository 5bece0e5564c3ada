import {CliError} from '../errors.js'

export interface ImageRef {
  /** e.g. 602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/kube-proxy */
  repository: string
  tag?: string
  digest?: string
}

/** Splits an image reference into repository, tag and digest (the registry stays in repository). */
export function parseImage(image: string): ImageRef {
  let rest = image
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at !== -1) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
  }
  const slash = rest.lastIndexOf('/')
  const colon = rest.lastIndexOf(':')
  if (colon > slash) return {repository: rest.slice(0, colon), tag: rest.slice(colon + 1), digest}
  return {repository: rest, digest}
}

/**
 * The image with a new tag: registry, account, region and repository of the existing image are
 * kept (runbook: `kubectl set image ... kube-proxy=602401143452.dkr.ecr.<region>...:v1.14.9`).
 * A digest is dropped, since it pins the old tag's content.
 */
export function withTag(image: string, tag: string): string {
  return `${parseImage(image).repository}:${tag}`
}

export interface Version {
  major: number
  minor: number
  patch: number
  raw: string
}

/** Reads v1.34.1-eksbuild.2, v1.35.4-eks-d7933a4, 1.35, v1.35.4+k3s1... */
export function parseVersion(text: string | undefined): Version | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text ?? '')
  if (!match) return undefined
  return {major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0), raw: text!}
}

export function minorOf(version: Version): string {
  return `${version.major}.${version.minor}`
}

/** An image tag given to --image: a tag only (the repository is kept), and a version in it. */
export function validateImageTag(tag: string): Version {
  if (tag.includes('/') || tag.includes('@') || tag.includes(':')) {
    throw new CliError('usage', `--image "${tag}" is not a tag`, {
      hint: 'pass only the tag, e.g. --image v1.35.3-eksbuild.2; the registry, account and region of the current image are kept',
    })
  }
  const version = parseVersion(tag)
  if (!version)
    throw new CliError('usage', `--image "${tag}" does not start with a Kubernetes version`, {hint: 'pass a kube-proxy tag like v1.35.3-eksbuild.2'})
  return version
}

export interface SkewVerdict {
  ok: boolean
  /** Why, in the version-skew policy's words. */
  reason: string
}

/**
 * Kubernetes' version-skew policy for kube-proxy (kubernetes.io/releases/version-skew-policy):
 * kube-proxy must not be newer than kube-apiserver, and may be up to three minor versions older
 * (kube-proxy older than 1.25: only two).
 */
export function skewAgainstApiServer(proxy: Version, apiServer: Version): SkewVerdict {
  const behind = (apiServer.major - proxy.major) * 100 + (apiServer.minor - proxy.minor)
  const allowed = proxy.major === 1 && proxy.minor < 25 ? 2 : 3
  if (behind < 0)
    return {
      ok: false,
      reason: `kube-proxy ${minorOf(proxy)} is newer than the API server ${minorOf(apiServer)}; kube-proxy must not be newer than kube-apiserver`,
    }
  if (behind > allowed)
    return {
      ok: false,
      reason: `kube-proxy ${minorOf(proxy)} is ${behind} minor versions older than the API server ${minorOf(apiServer)}; at most ${allowed} are supported`,
    }
  return {
    ok: true,
    reason:
      behind === 0
        ? `same minor version as the API server (${minorOf(apiServer)})`
        : `${behind} minor version${behind === 1 ? '' : 's'} older than the API server ${minorOf(apiServer)} (at most ${allowed} supported)`,
  }
}

/** The same policy: kube-proxy may be up to three minor versions older or newer than the kubelet beside it (two before 1.25). */
export function skewAgainstKubelet(proxy: Version, kubelet: Version): SkewVerdict {
  const distance = Math.abs((kubelet.major - proxy.major) * 100 + (kubelet.minor - proxy.minor))
  const allowed = (proxy.major === 1 && proxy.minor < 25) || (kubelet.major === 1 && kubelet.minor < 25) ? 2 : 3
  if (distance > allowed)
    return {
      ok: false,
      reason: `kube-proxy ${minorOf(proxy)} and kubelet ${minorOf(kubelet)} are ${distance} minor versions apart; at most ${allowed} are supported`,
    }
  return {ok: true, reason: `within ${allowed} minor versions of kubelet ${minorOf(kubelet)}`}
}
