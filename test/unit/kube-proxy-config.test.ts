import {readFileSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'
import {parse, parseAllDocuments} from 'yaml'

import {CliError} from '../../src/lib/errors.js'
import {isBindAddress, readMetricsBindAddress, setMetricsBindAddress, verifyEdit} from '../../src/lib/kube-proxy/config.js'
import {parseImage, parseVersion, skewAgainstApiServer, skewAgainstKubelet, validateImageTag, withTag} from '../../src/lib/kube-proxy/version.js'
import {defaultAddonVersion} from '../../src/lib/kube-proxy/eks.js'
import {repoRoot} from '../helpers/cli.js'

// The EKS-format ConfigMap from the cluster fixtures (read only: they belong to the cluster harness).
const fixture = parseAllDocuments(readFileSync(path.join(repoRoot, 'scripts/cluster/fixtures/10-kube-system.yaml'), 'utf8'))
  .map((d) => d.toJS() as {kind: string; metadata: {name: string}; data?: Record<string, string>})
  .find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'kube-proxy-config')!
const config = fixture.data!.config

function linesExcept(text: string, key: string): string[] {
  return text.split('\n').filter((line) => !line.startsWith(`${key}:`))
}

describe('metricsBindAddress edit', () => {
  it('changes only the metricsBindAddress line of the EKS config', () => {
    const edit = setMetricsBindAddress(config, '0.0.0.0:10249', 'cm')
    expect(edit).toMatchObject({current: '127.0.0.1:10249', changed: true})
    expect(linesExcept(edit.updated, 'metricsBindAddress')).toEqual(linesExcept(config, 'metricsBindAddress'))
    expect(edit.updated.split('\n').filter((l) => l.startsWith('metricsBindAddress:'))).toEqual(['metricsBindAddress: 0.0.0.0:10249'])
    expect(edit.updated.length).toBe(config.length - '127.0.0.1'.length + '0.0.0.0'.length)
    expect(setMetricsBindAddress(edit.updated, '0.0.0.0:10249', 'cm')).toMatchObject({changed: false, updated: edit.updated})
  })

  it('keeps comments, quoting and odd spacing', () => {
    const text = '# managed by hand\nkind: KubeProxyConfiguration\nmetricsBindAddress:   "127.0.0.1:10249"   # localhost only\nmode: ipvs\n'
    expect(setMetricsBindAddress(text, '0.0.0.0:10249', 'cm').updated).toBe(text.replace('"127.0.0.1:10249"', '"0.0.0.0:10249"'))
  })

  it('appends the key when the config leaves it to the default', () => {
    const text = 'kind: KubeProxyConfiguration\nmode: iptables\n'
    expect(setMetricsBindAddress(text, '0.0.0.0:10249', 'cm')).toMatchObject({
      current: '127.0.0.1:10249',
      changed: true,
      updated: `${text}metricsBindAddress: 0.0.0.0:10249\n`,
    })
  })

  // Issue 14 item 1: a JSON config without the key got a YAML line after its closing brace.
  it('adds the key to a JSON config as a JSON member, keeping the layout', () => {
    const json = JSON.stringify(parse(config), null, 2)
    const text = `${JSON.stringify({...(parse(config) as object), metricsBindAddress: undefined}, null, 2)}\n`
    const edit = setMetricsBindAddress(text, '0.0.0.0:10249', 'cm')
    expect(JSON.parse(edit.updated)).toEqual({...(JSON.parse(text) as object), metricsBindAddress: '0.0.0.0:10249'})
    expect(edit).toMatchObject({current: '127.0.0.1:10249', changed: true, format: 'json'})
    // every line but the new member (and the comma before it) is the same
    expect(
      edit.updated
        .split('\n')
        .filter((l) => !l.includes('metricsBindAddress'))
        .map((l) => l.replace(/,$/, '')),
    ).toEqual(text.split('\n').map((l) => l.replace(/,$/, '')))
    expect(edit.updated).toContain('\n  "metricsBindAddress": "0.0.0.0:10249"\n}')
    expect(setMetricsBindAddress(edit.updated, '0.0.0.0:10249', 'cm')).toMatchObject({changed: false})
    // the same key already there: only its value changes, still JSON
    const present = setMetricsBindAddress(json, '0.0.0.0:10249', 'cm')
    expect(present.updated).toBe(json.replace('"127.0.0.1:10249"', '"0.0.0.0:10249"'))
    // one-line and empty-ish JSON objects, and a JSON null value
    for (const [input, output] of [
      ['{"kind":"KubeProxyConfiguration","mode":"ipvs"}', '{"kind":"KubeProxyConfiguration","mode":"ipvs", "metricsBindAddress": "0.0.0.0:10249"}'],
      ['{"kind": "KubeProxyConfiguration", "metricsBindAddress": null}', '{"kind": "KubeProxyConfiguration", "metricsBindAddress": "0.0.0.0:10249"}'],
    ]) {
      const out = setMetricsBindAddress(input, '0.0.0.0:10249', 'cm').updated
      expect(out).toBe(output)
      expect(JSON.parse(out)).toMatchObject({metricsBindAddress: '0.0.0.0:10249'})
    }
  })

  it('writes an IPv6 address as a YAML string, and adds the key inside the document', () => {
    const text = 'kind: KubeProxyConfiguration\nmetricsBindAddress: 127.0.0.1:10249\n'
    const v6 = setMetricsBindAddress(text, '[::]:10249', 'cm').updated
    expect(parse(v6)).toEqual({kind: 'KubeProxyConfiguration', metricsBindAddress: '[::]:10249'})
    expect(parse(setMetricsBindAddress('kind: KubeProxyConfiguration\n', '[::]:10249', 'cm').updated)).toEqual({
      kind: 'KubeProxyConfiguration',
      metricsBindAddress: '[::]:10249',
    })
    // a document end marker or a trailing comment stays last
    expect(setMetricsBindAddress('kind: KubeProxyConfiguration\n...\n', '0.0.0.0:10249', 'cm').updated).toBe(
      'kind: KubeProxyConfiguration\nmetricsBindAddress: 0.0.0.0:10249\n...\n',
    )
    expect(setMetricsBindAddress('kind: KubeProxyConfiguration # c\n# end\n', '0.0.0.0:10249', 'cm').updated).toBe(
      'kind: KubeProxyConfiguration # c\nmetricsBindAddress: 0.0.0.0:10249\n# end\n',
    )
    expect(setMetricsBindAddress('{kind: KubeProxyConfiguration}', '0.0.0.0:10249', 'cm').updated).toBe(
      '{kind: KubeProxyConfiguration, metricsBindAddress: 0.0.0.0:10249}',
    )
  })

  it('refuses an edit whose result would read differently, naming the object', () => {
    const text = 'kind: KubeProxyConfiguration\nmode: ipvs\n'
    expect(() => verifyEdit(text, `${text}metricsBindAddress: 0.0.0.0:10249\n`, '0.0.0.0:10249', 'cm "x"')).not.toThrow()
    expect(() => verifyEdit(text, 'kind: KubeProxyConfiguration\nmode: iptables\nmetricsBindAddress: 0.0.0.0:10249\n', '0.0.0.0:10249', 'cm "x"')).toThrow(
      /cm "x" would change more than that key/,
    )
    const json = '{"kind": "KubeProxyConfiguration"}\n'
    expect(() => verifyEdit(json, `${json}metricsBindAddress: 0.0.0.0:10249\n`, '0.0.0.0:10249', 'cm "x"')).toThrow(
      /would leave a config kube-proxy cannot read/,
    )
    // what the old edit left behind is refused as it stands
    expect(() => readMetricsBindAddress(`${json}metricsBindAddress: 0.0.0.0:10249\n`, 'cm "x"')).toThrow(/neither JSON nor YAML/)
  })

  it('refuses a config in an unexpected shape with one line', () => {
    for (const [text, problem] of [
      ['kind: KubeProxyConfiguration\n  bad: [', 'is neither JSON nor YAML'],
      ['{"kind": "KubeProxyConfiguration", "kind": "KubeProxyConfiguration"}', 'Map keys must be unique'],
      ['- a\n- b\n', 'is not a YAML mapping'],
      ['kind: KubeletConfiguration\n', 'has kind "KubeletConfiguration"'],
      ['kind: KubeProxyConfiguration\nmetricsBindAddress: {a: 1}\n', 'metricsBindAddress is not a plain string'],
    ]) {
      let error: unknown
      try {
        readMetricsBindAddress(text, 'configmap "kube-proxy-config" in kube-system')
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(CliError)
      expect((error as CliError).line).toContain(problem)
      expect((error as CliError).line.split('\n')).toHaveLength(1)
    }
  })

  it('accepts IP:port bind addresses only', () => {
    expect(['0.0.0.0:10249', '[::]:10249', '10.0.0.1:1'].map(isBindAddress)).toEqual([true, true, true])
    expect(['0.0.0.0', 'localhost:10249', '0.0.0.0:0', '0.0.0.0:70000', '300.0.0.1:10249', '[zz]:1'].map(isBindAddress)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ])
  })
})

describe('versions', () => {
  const image = '602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/kube-proxy:v1.34.1-eksbuild.2'

  it('keeps registry, account and region when changing the tag', () => {
    expect(parseImage(image)).toEqual({repository: '602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/kube-proxy', tag: 'v1.34.1-eksbuild.2', digest: undefined})
    expect(withTag(image, 'v1.35.3-eksbuild.2')).toBe('602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/kube-proxy:v1.35.3-eksbuild.2')
    expect(withTag('localhost:5000/kube-proxy@sha256:abc', 'v1.35.0')).toBe('localhost:5000/kube-proxy:v1.35.0')
    expect(() => validateImageTag('602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/kube-proxy:v1')).toThrow(/is not a tag/)
  })

  it('applies the version-skew policy: not newer than the API server, at most 3 minors older (2 before 1.25)', () => {
    const api = parseVersion('v1.35.4')!
    expect(skewAgainstApiServer(parseVersion('v1.34.1-eksbuild.2')!, api).ok).toBe(true)
    expect(skewAgainstApiServer(parseVersion('v1.32.0')!, api).ok).toBe(true)
    expect(skewAgainstApiServer(parseVersion('v1.31.0')!, api)).toMatchObject({ok: false})
    expect(skewAgainstApiServer(parseVersion('v1.36.0')!, api).reason).toContain('must not be newer')
    expect(skewAgainstApiServer(parseVersion('v1.21.0')!, parseVersion('v1.24.0')!).ok).toBe(false)
    expect(skewAgainstKubelet(parseVersion('v1.35.0')!, parseVersion('v1.32.0-eks-1')!).ok).toBe(true)
    expect(skewAgainstKubelet(parseVersion('v1.35.0')!, parseVersion('v1.31.0')!).ok).toBe(false)
  })

  it('picks the default kube-proxy add-on version for the cluster minor from DescribeAddonVersions', () => {
    const output = {
      addons: [
        {
          addonName: 'kube-proxy',
          addonVersions: [
            {addonVersion: 'v1.35.3-eksbuild.5', compatibilities: [{clusterVersion: '1.35', defaultVersion: false}]},
            {addonVersion: 'v1.35.3-eksbuild.2', compatibilities: [{clusterVersion: '1.35', defaultVersion: true}]},
            {addonVersion: 'v1.34.6-eksbuild.2', compatibilities: [{clusterVersion: '1.34', defaultVersion: true}]},
          ],
        },
      ],
    }
    expect(defaultAddonVersion(output, '1.35')).toBe('v1.35.3-eksbuild.2')
    expect(defaultAddonVersion(output, '1.30')).toBeUndefined()
  })
})
