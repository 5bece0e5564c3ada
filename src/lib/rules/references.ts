import {asList, asObj, asString, builtinNamespaces, describeObject, type Obj} from './kube.js'
import type {ObjectIndex} from './object-index.js'
import type {Finding, PathSegment, Rule, SourcedObject} from './types.js'

// Issue 17, rule 4: references resolve across the repository. A reference to a kind that only
// ever comes from the repository (a MetricTemplate, a Flux source) and is missing is an error; a
// reference to what a chart renders or an admin creates by hand (a Deployment, a Secret) is a
// warning, since it may well exist outside the repository.

const group = 'References'

export const namespaceMissing: Rule = {
  id: 'namespace-missing',
  severity: 'error',
  group,
  summary: 'Every namespace a namespaced object uses has a Namespace manifest in the repository.',
  hint: 'add a Namespace manifest (the runbook: "namespaces are managed using .yaml files"); lint the whole repository, not a sub-folder',
  check(index, report) {
    const declared = index.namespaces()
    const users = new Map<string, SourcedObject[]>()
    for (const item of index.objects) {
      const namespace = index.namespaceOf(item.object)
      if (namespace === undefined || declared.has(namespace) || builtinNamespaces.has(namespace)) continue
      const list = users.get(namespace)
      if (list) list.push(item)
      else users.set(namespace, [item])
    }
    for (const [namespace, list] of users) {
      const others = list.length - 1
      report({
        on: list[0],
        path: ['metadata', 'namespace'],
        message: `namespace "${namespace}" has no Namespace manifest in the repository${others > 0 ? ` (used by this ${list[0].object.kind} and ${others} other object${others === 1 ? '' : 's'})` : ''}`,
      })
    }
  },
}

interface ServicePort {
  port?: number
  name?: string
}

function servicePorts(index: ObjectIndex, namespace: string, name: string): ServicePort[] | undefined {
  const services = index.find('Service', namespace, name, [''])
  if (services.length > 0) {
    return services.flatMap((service) =>
      asList(asObj(service.object.spec).ports).map((port) => {
        const p = asObj(port)
        return {port: typeof p.port === 'number' ? p.port : undefined, name: asString(p.name)}
      }),
    )
  }
  const generated = index.generatedServices().filter((service) => service.namespace === namespace && service.name === name)
  return generated.length > 0 ? generated.flatMap((service) => service.ports) : undefined
}

interface Backend {
  service: string
  port: number | string | undefined
  namePath: PathSegment[]
  portPath: PathSegment[]
}

/** The Service backends of an Ingress, in networking.k8s.io/v1 and the older v1beta1 shapes. */
function ingressBackends(spec: Obj): Backend[] {
  const backends: Backend[] = []
  const add = (backend: unknown, path: PathSegment[]): void => {
    const b = asObj(backend)
    const service = asObj(b.service)
    if (asString(service.name)) {
      const port = asObj(service.port)
      backends.push({
        service: service.name as string,
        port: typeof port.number === 'number' ? port.number : asString(port.name),
        namePath: [...path, 'service', 'name'],
        portPath: [...path, 'service', 'port'],
      })
    } else if (asString(b.serviceName)) {
      const port = b.servicePort
      backends.push({
        service: b.serviceName as string,
        port: typeof port === 'number' || typeof port === 'string' ? port : undefined,
        namePath: [...path, 'serviceName'],
        portPath: [...path, 'servicePort'],
      })
    }
  }
  add(spec.defaultBackend, ['spec', 'defaultBackend'])
  add(spec.backend, ['spec', 'backend'])
  asList(spec.rules).forEach((rule, r) => {
    asList(asObj(asObj(rule).http).paths).forEach((p, i) => add(asObj(p).backend, ['spec', 'rules', r, 'http', 'paths', i, 'backend']))
  })
  return backends
}

function ingressCheck(index: ObjectIndex, report: (finding: Finding) => void, want: 'missing' | 'port'): void {
  for (const ingress of index.ofKind('Ingress', ['networking.k8s.io', 'extensions'])) {
    const namespace = index.namespaceOf(ingress.object) ?? 'default'
    for (const backend of ingressBackends(asObj(ingress.object.spec))) {
      const ports = servicePorts(index, namespace, backend.service)
      if (ports === undefined) {
        if (want === 'missing')
          report({
            on: ingress,
            path: backend.namePath,
            message: `backend Service "${backend.service}" in ${namespace} is not defined in the repository (nor made by a Flagger Canary)`,
          })
        continue
      }
      if (want !== 'port' || backend.port === undefined) continue
      const found = ports.some((port) => (typeof backend.port === 'number' ? port.port === backend.port : port.name === backend.port))
      if (!found) {
        const known = ports.map((port) => (port.name ? `${port.port ?? '?'} (${port.name})` : String(port.port ?? '?'))).join(', ')
        report({
          on: ingress,
          path: backend.portPath,
          message: `backend Service "${backend.service}" in ${namespace} has no port ${typeof backend.port === 'number' ? backend.port : `named "${backend.port}"`} (it has ${known || 'no ports'})`,
        })
      }
    }
  }
}

export const ingressServiceMissing: Rule = {
  id: 'ingress-service-missing',
  severity: 'warning',
  group,
  summary: "An Ingress backend's Service is defined in the repository (or made by a Flagger Canary).",
  hint: 'check the Service name; if a chart or an admin creates it, suppress with # elife-k8s:ignore ingress-service-missing <reason>',
  check(index, report) {
    ingressCheck(index, report, 'missing')
  },
}

export const ingressServicePort: Rule = {
  id: 'ingress-service-port',
  severity: 'error',
  group,
  summary: "An Ingress backend names one of its Service's ports, by number or by name.",
  hint: "use the Service's port (not its targetPort), or a port name the Service defines",
  check(index, report) {
    ingressCheck(index, report, 'port')
  },
}

/** Where a Canary's analysis is: spec.analysis (v1beta1), or spec.canaryAnalysis (older Flagger). */
export function canaryAnalysis(canary: SourcedObject): {analysis: Obj; path: PathSegment[]} {
  const spec = asObj(canary.object.spec)
  if (spec.analysis !== undefined) return {analysis: asObj(spec.analysis), path: ['spec', 'analysis']}
  return {analysis: asObj(spec.canaryAnalysis), path: ['spec', 'canaryAnalysis']}
}

export const flaggerRefMissing: Rule = {
  id: 'flagger-ref-missing',
  severity: 'error',
  group,
  summary: "A Canary's metrics[].templateRef and alerts[].providerRef name a MetricTemplate / AlertProvider in the repository.",
  hint: "check the name and namespace (templateRef.namespace defaults to the Canary's namespace), or add the object",
  check(index, report) {
    for (const canary of index.ofKind('Canary', ['flagger.app'])) {
      const namespace = index.namespaceOf(canary.object) ?? 'default'
      const {analysis, path} = canaryAnalysis(canary)
      const refs: Array<{kind: string; field: string; ref: Obj; path: PathSegment[]}> = []
      asList(analysis.metrics).forEach((metric, i) => {
        const ref = asObj(metric).templateRef
        if (ref !== undefined) refs.push({kind: 'MetricTemplate', field: 'templateRef', ref: asObj(ref), path: [...path, 'metrics', i, 'templateRef']})
      })
      asList(analysis.alerts).forEach((alert, i) => {
        const ref = asObj(alert).providerRef
        if (ref !== undefined) refs.push({kind: 'AlertProvider', field: 'providerRef', ref: asObj(ref), path: [...path, 'alerts', i, 'providerRef']})
      })
      for (const {kind, field, ref, path: at} of refs) {
        const name = asString(ref.name)
        const refNamespace = asString(ref.namespace) ?? namespace
        if (!name) report({on: canary, path: at, message: `${field} has no name`})
        else if (index.find(kind, refNamespace, name, ['flagger.app']).length === 0) {
          report({on: canary, path: at, message: `${field} names ${kind} "${name}" in ${refNamespace}, which is not defined in the repository`})
        }
      }
    }
  },
}

/**
 * For a Canary whose targetRef names an object that is nowhere in the repository: when every
 * HelmRelease installing into its namespace was rendered and they render objects of that kind,
 * the rendered ones (none of which has the name); else undefined.
 */
export function renderedTargetMismatch(index: ObjectIndex, canary: SourcedObject): {kind: string; name: string; rendered: SourcedObject[]} | undefined {
  const namespace = index.namespaceOf(canary.object) ?? 'default'
  const ref = asObj(asObj(canary.object.spec).targetRef)
  const name = asString(ref.name)
  const kind = asString(ref.kind) ?? 'Deployment'
  if (!name || index.find(kind, namespace, name).length > 0) return undefined
  const into = index.renderedInto(namespace)
  if (!into?.complete) return undefined
  const rendered = into.objects.filter((item) => item.object.kind === kind)
  return rendered.length > 0 ? {kind, name, rendered} : undefined
}

function helmReleasesIn(index: ObjectIndex, namespace: string): number {
  return index.helmReleases().filter((release) => index.helmTargetNamespace(release) === namespace).length
}

export const flaggerRefOutsideRepo: Rule = {
  id: 'flagger-ref-outside-repo',
  severity: 'warning',
  group,
  summary: "A Canary's targetRef, ingressRef and autoscalerRef name objects defined in the repository (else they must come from a chart).",
  hint: "check the name; if a HelmRelease's chart renders it, make sure the rendered name is this one (the runbook's first Flagger gotcha)",
  check(index, report) {
    for (const canary of index.ofKind('Canary', ['flagger.app'])) {
      const namespace = index.namespaceOf(canary.object) ?? 'default'
      const spec = asObj(canary.object.spec)
      for (const field of ['targetRef', 'ingressRef', 'autoscalerRef']) {
        if (spec[field] === undefined) continue
        const ref = asObj(spec[field])
        const name = asString(ref.name)
        const kind = asString(ref.kind) ?? (field === 'ingressRef' ? 'Ingress' : 'Deployment')
        if (!name) {
          report({on: canary, path: ['spec', field], message: `${field} has no name`})
          continue
        }
        if (index.find(kind, namespace, name).length > 0) continue
        // Every chart installing here was rendered, and none makes it: flagger-target-rendered says so, as an error.
        if (field === 'targetRef' && renderedTargetMismatch(index, canary)) continue
        const releases = helmReleasesIn(index, namespace)
        report({
          on: canary,
          path: ['spec', field],
          message: `${field} names ${kind} "${name}" in ${namespace}, which is not defined in the repository${releases > 0 ? ` (it may come from one of the ${releases} HelmRelease${releases === 1 ? '' : 's'} installing into ${namespace})` : ''}`,
        })
      }
    }
  },
}

const sourceKinds = ['GitRepository', 'HelmRepository', 'Bucket', 'OCIRepository', 'HelmChart']

export const fluxRefMissing: Rule = {
  id: 'flux-ref-missing',
  severity: 'error',
  group,
  summary: "Flux v2's sourceRef, chartRef, imageRepositoryRef and dependsOn name objects in the repository.",
  hint: "check the kind, name and namespace (a reference without namespace means the referring object's namespace)",
  check(index, report) {
    const refs: Array<{on: SourcedObject; kind: string; groups?: string[]; ref: Obj; path: PathSegment[]; field: string}> = []
    const namespaceOf = (item: SourcedObject) => index.namespaceOf(item.object) ?? 'default'
    for (const release of index.ofKind('HelmRelease', ['helm.toolkit.fluxcd.io'])) {
      const spec = asObj(release.object.spec)
      const chartSpec = asObj(asObj(spec.chart).spec)
      if (chartSpec.sourceRef !== undefined)
        refs.push({
          on: release,
          kind: asString(asObj(chartSpec.sourceRef).kind) ?? 'HelmRepository',
          ref: asObj(chartSpec.sourceRef),
          path: ['spec', 'chart', 'spec', 'sourceRef'],
          field: 'sourceRef',
        })
      if (spec.chartRef !== undefined)
        refs.push({
          on: release,
          kind: asString(asObj(spec.chartRef).kind) ?? 'OCIRepository',
          ref: asObj(spec.chartRef),
          path: ['spec', 'chartRef'],
          field: 'chartRef',
        })
      asList(spec.dependsOn).forEach((dep, i) =>
        refs.push({on: release, kind: 'HelmRelease', groups: ['helm.toolkit.fluxcd.io'], ref: asObj(dep), path: ['spec', 'dependsOn', i], field: 'dependsOn'}),
      )
    }
    for (const kustomization of index.ofKind('Kustomization', ['kustomize.toolkit.fluxcd.io'])) {
      const spec = asObj(kustomization.object.spec)
      if (spec.sourceRef !== undefined)
        refs.push({
          on: kustomization,
          kind: asString(asObj(spec.sourceRef).kind) ?? 'GitRepository',
          ref: asObj(spec.sourceRef),
          path: ['spec', 'sourceRef'],
          field: 'sourceRef',
        })
      asList(spec.dependsOn).forEach((dep, i) =>
        refs.push({
          on: kustomization,
          kind: 'Kustomization',
          groups: ['kustomize.toolkit.fluxcd.io'],
          ref: asObj(dep),
          path: ['spec', 'dependsOn', i],
          field: 'dependsOn',
        }),
      )
    }
    for (const automation of index.ofKind('ImageUpdateAutomation', ['image.toolkit.fluxcd.io'])) {
      const spec = asObj(automation.object.spec)
      if (spec.sourceRef !== undefined)
        refs.push({
          on: automation,
          kind: asString(asObj(spec.sourceRef).kind) ?? 'GitRepository',
          ref: asObj(spec.sourceRef),
          path: ['spec', 'sourceRef'],
          field: 'sourceRef',
        })
    }
    for (const policy of index.ofKind('ImagePolicy', ['image.toolkit.fluxcd.io'])) {
      const spec = asObj(policy.object.spec)
      if (spec.imageRepositoryRef !== undefined)
        refs.push({
          on: policy,
          kind: 'ImageRepository',
          groups: ['image.toolkit.fluxcd.io'],
          ref: asObj(spec.imageRepositoryRef),
          path: ['spec', 'imageRepositoryRef'],
          field: 'imageRepositoryRef',
        })
    }
    for (const {on, kind, groups, ref, path, field} of refs) {
      const name = asString(ref.name)
      const namespace = asString(ref.namespace) ?? namespaceOf(on)
      if (!name) {
        report({on, path, message: `${field} has no name`})
        continue
      }
      const kindGroups = groups ?? (sourceKinds.includes(kind) ? ['source.toolkit.fluxcd.io'] : undefined)
      if (index.find(kind, namespace, name, kindGroups).length === 0)
        report({on, path, message: `${field} names ${kind} "${name}" in ${namespace}, which is not defined in the repository`})
    }
  },
}

export const fluxRefOutsideRepo: Rule = {
  id: 'flux-ref-outside-repo',
  severity: 'warning',
  group,
  summary: "A HelmRelease's valuesFrom (helm-operator and Flux v2) names a ConfigMap or Secret in the repository (else it must be created by hand).",
  hint: 'check the name; a Secret created by hand is fine (mark the reference optional, or suppress with # elife-k8s:ignore flux-ref-outside-repo <reason>)',
  check(index, report) {
    for (const release of index.helmReleases()) {
      const namespace = index.namespaceOf(release.object) ?? 'default'
      asList(asObj(release.object.spec).valuesFrom).forEach((from, i) => {
        const entry = asObj(from)
        const candidates: Array<{kind: string; ref: Obj; path: PathSegment[]}> = []
        if (entry.kind !== undefined) candidates.push({kind: String(entry.kind), ref: entry, path: ['spec', 'valuesFrom', i]})
        if (entry.configMapKeyRef !== undefined)
          candidates.push({kind: 'ConfigMap', ref: asObj(entry.configMapKeyRef), path: ['spec', 'valuesFrom', i, 'configMapKeyRef']})
        if (entry.secretKeyRef !== undefined) candidates.push({kind: 'Secret', ref: asObj(entry.secretKeyRef), path: ['spec', 'valuesFrom', i, 'secretKeyRef']})
        for (const {kind, ref, path} of candidates) {
          const name = asString(ref.name)
          if (!name || ref.optional === true || (kind !== 'ConfigMap' && kind !== 'Secret')) continue
          const refNamespace = asString(ref.namespace) ?? namespace
          if (index.find(kind, refNamespace, name, ['']).length > 0) continue
          // SealedSecrets in the repository become Secrets of the same name.
          if (kind === 'Secret' && index.find('SealedSecret', refNamespace, name, ['bitnami.com']).length > 0) continue
          report({
            on: release,
            path,
            message: `valuesFrom names ${kind} "${name}" in ${refNamespace}, which is not defined in the repository (${describeObject(release.object, namespace)} fails to install if it is missing)`,
          })
        }
      })
    }
  },
}

export const fluxImagePolicyMarker: Rule = {
  id: 'flux-imagepolicy-marker',
  severity: 'error',
  group,
  summary: 'Every Flux v2 image automation marker (# {"$imagepolicy": "<namespace>:<name>"}) names an ImagePolicy in the repository.',
  hint: 'write the marker as # {"$imagepolicy": "<namespace>:<policy>"} (optionally :tag, :name or :digest) and check that the ImagePolicy exists; a wrong marker is skipped silently by the automation',
  check(index, report) {
    for (const marker of index.imagePolicyMarkers) {
      const [namespace, name, field, ...rest] = marker.reference.split(':')
      if (!namespace || !name || rest.length > 0 || (field !== undefined && !['tag', 'name', 'digest'].includes(field))) {
        report({at: marker.position, message: `the $imagepolicy marker "${marker.reference}" is not <namespace>:<name>[:tag|:name|:digest]`})
      } else if (index.find('ImagePolicy', namespace, name, ['image.toolkit.fluxcd.io']).length === 0) {
        report({at: marker.position, message: `the $imagepolicy marker names ImagePolicy "${name}" in ${namespace}, which is not defined in the repository`})
      }
    }
  },
}
