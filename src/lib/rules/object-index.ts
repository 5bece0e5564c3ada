import {defaultKubernetesVersion} from './deprecations.js'
import {asList, asObj, asString, groupOf, isBuiltinClusterScoped, isKubeObject} from './kube.js'
import type {SchemaSet} from './schema.js'
import type {FileProblem, ImagePolicyMarker, KubeObject, PathSegment, SourcedDocument, SourcedObject, SuppressionComment, TemplateFile} from './types.js'

export interface IndexInput {
  /** Every document a source read, objects or not. */
  documents: readonly SourcedDocument[]
  /** Files that could not be read or parsed (file sources only). */
  fileProblems?: readonly FileProblem[]
  /** Files Flux does not apply but that configure the cluster (`*.yaml-template`). */
  templates?: readonly TemplateFile[]
  /** Flux v2 `$imagepolicy` setter markers found in comments (file sources only). */
  imagePolicyMarkers?: readonly ImagePolicyMarker[]
  /** The suppression comments found (so that malformed ones can be reported). */
  suppressionComments?: readonly SuppressionComment[]
  /**
   * The namespace an object without metadata.namespace lands in: "default" for manifests that
   * Flux v1 applies with kubectl; objects read from the API always carry theirs.
   */
  defaultNamespace?: string
  /** The Kubernetes minor the objects are checked against ("1.35"). */
  kubernetesVersion?: string
  /** Schemas to validate objects with (rule `schema`); without them that rule finds nothing. */
  schemas?: SchemaSet
  /** The repository's root directory, as file sources name it (lint of a whole repository); Flux v2 paths are relative to it. */
  repositoryRoot?: string
  /** HelmRelease documents whose charts helm rendered (their objects are among `documents`, marked `rendered`). */
  renderedReleases?: ReadonlySet<SourcedDocument>
  /** What helm could not render (rule helm-render). */
  renderProblems?: ReadonlyArray<{on: SourcedDocument; path?: readonly PathSegment[]; message: string}>
}

/** Services that Flagger creates for a Canary (`<service>`, `<service>-primary`, `<service>-canary`). */
export interface GeneratedService {
  namespace: string
  name: string
  ports: Array<{port?: number; name?: string}>
  canary: SourcedObject
}

function key(group: string, kind: string): string {
  return `${group}/${kind}`
}

/**
 * The questions rules ask about a set of objects, answered once: by kind, by name, the Namespace
 * set, which kinds are namespaced, the Services Flagger generates, the prometheus-operator release.
 * Filled from files by lint and from the API by doctor; rules never know which.
 */
export class ObjectIndex {
  readonly documents: readonly SourcedDocument[]
  readonly objects: readonly SourcedObject[]
  readonly fileProblems: readonly FileProblem[]
  readonly templates: readonly TemplateFile[]
  readonly suppressionComments: readonly SuppressionComment[]
  readonly imagePolicyMarkers: readonly ImagePolicyMarker[]
  /** The Kubernetes minor the objects are checked against (deprecated and removed APIs). */
  readonly kubernetesVersion: string
  readonly repositoryRoot?: string
  readonly schemas?: SchemaSet
  readonly renderedReleases: ReadonlySet<SourcedDocument>
  readonly renderProblems: NonNullable<IndexInput['renderProblems']>
  private readonly byKind = new Map<string, SourcedObject[]>()
  private readonly byKindOnly = new Map<string, SourcedObject[]>()
  private readonly byName = new Map<string, SourcedObject[]>()
  private readonly crdScopes = new Map<string, string>()
  private readonly defaultNamespace: string
  private generated?: GeneratedService[]

  constructor(input: IndexInput) {
    this.documents = input.documents
    this.fileProblems = input.fileProblems ?? []
    this.templates = input.templates ?? []
    this.suppressionComments = input.suppressionComments ?? []
    this.imagePolicyMarkers = input.imagePolicyMarkers ?? []
    this.kubernetesVersion = input.kubernetesVersion ?? defaultKubernetesVersion
    this.repositoryRoot = input.repositoryRoot
    this.schemas = input.schemas
    this.defaultNamespace = input.defaultNamespace ?? 'default'
    this.renderedReleases = input.renderedReleases ?? new Set()
    this.renderProblems = input.renderProblems ?? []
    const objects: SourcedObject[] = []
    for (const document of input.documents) {
      // The document itself becomes the SourcedObject (not a copy): a file source computes its
      // positions lazily, and findings on either must be the same thing.
      if (isKubeObject(document.value)) objects.push(Object.assign(document, {object: document.value}))
    }
    this.objects = objects
    for (const item of objects) {
      const {apiVersion, kind} = item.object
      const group = groupOf(apiVersion)
      push(this.byKind, key(group, kind), item)
      push(this.byKindOnly, kind, item)
      if (group === 'apiextensions.k8s.io' && kind === 'CustomResourceDefinition') {
        const spec = asObj(item.object.spec)
        const crdGroup = asString(spec.group)
        const crdKind = asString(asObj(spec.names).kind)
        if (crdGroup && crdKind) this.crdScopes.set(key(crdGroup, crdKind), asString(spec.scope) ?? 'Namespaced')
      }
    }
    for (const item of objects)
      push(this.byName, this.nameKey(groupOf(item.object.apiVersion), item.object.kind, this.namespaceOf(item.object), item.object.metadata.name), item)
  }

  private nameKey(group: string, kind: string, namespace: string | undefined, name: string): string {
    return `${group}/${kind}/${namespace ?? ''}/${name}`
  }

  /** False for cluster-scoped kinds (built-in, or a CRD in the index with scope Cluster). */
  isNamespaced(object: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
    const group = groupOf(object.apiVersion)
    const crdScope = this.crdScopes.get(key(group, object.kind))
    if (crdScope !== undefined) return crdScope !== 'Cluster'
    return !isBuiltinClusterScoped(group, object.kind)
  }

  /** The namespace the object lives in (undefined for cluster-scoped objects). */
  namespaceOf(object: KubeObject): string | undefined {
    if (!this.isNamespaced(object)) return undefined
    return asString(object.metadata.namespace) ?? this.defaultNamespace
  }

  /** Objects of a kind; `groups` narrows it to API groups (e.g. both HelmRelease groups). */
  ofKind(kind: string, groups?: readonly string[]): readonly SourcedObject[] {
    if (!groups) return this.byKindOnly.get(kind) ?? []
    return groups.flatMap((group) => this.byKind.get(key(group, kind)) ?? [])
  }

  /** Objects with this kind, namespace and name, in any of `groups` (any group when omitted). */
  find(kind: string, namespace: string | undefined, name: string, groups?: readonly string[]): readonly SourcedObject[] {
    if (groups) return groups.flatMap((group) => this.byName.get(this.nameKey(group, kind, namespace, name)) ?? [])
    return this.ofKind(kind).filter((item) => item.object.metadata.name === name && this.namespaceOf(item.object) === namespace)
  }

  /** Every object with the same group, kind, namespace and name. */
  sameIdentity(item: SourcedObject): readonly SourcedObject[] {
    const {apiVersion, kind, metadata} = item.object
    return this.byName.get(this.nameKey(groupOf(apiVersion), kind, this.namespaceOf(item.object), metadata.name)) ?? []
  }

  /** Names of the Namespace objects in the index. */
  namespaces(): ReadonlySet<string> {
    return new Set(this.ofKind('Namespace', ['']).map((item) => item.object.metadata.name))
  }

  /** HelmReleases of helm-operator (helm.fluxcd.io) and Flux v2 (helm.toolkit.fluxcd.io). */
  helmReleases(): readonly SourcedObject[] {
    return this.ofKind('HelmRelease', ['helm.fluxcd.io', 'helm.toolkit.fluxcd.io'])
  }

  /** The chart name a HelmRelease installs (helm-operator spec.chart.name/path, Flux v2 spec.chart.spec.chart). */
  chartName(release: KubeObject): string | undefined {
    const chart = asObj(asObj(release.spec).chart)
    const name = asString(chart.name) ?? asString(asObj(chart.spec).chart) ?? asString(chart.path)
    return name?.split('/').filter(Boolean).pop()
  }

  /** The helm release name: spec.releaseName, else what helm-operator (`<namespace>-<name>`) or Flux v2 names it. */
  helmReleaseName(release: SourcedObject): string {
    const spec = asObj(release.object.spec)
    const explicit = asString(spec.releaseName)
    if (explicit) return explicit
    const namespace = this.namespaceOf(release.object) ?? this.defaultNamespace
    if (groupOf(release.object.apiVersion) === 'helm.fluxcd.io') return `${asString(spec.targetNamespace) ?? namespace}-${release.object.metadata.name}`
    const target = asString(spec.targetNamespace)
    return target ? `${target}-${release.object.metadata.name}` : release.object.metadata.name
  }

  /** The namespace a HelmRelease installs into. */
  helmTargetNamespace(release: SourcedObject): string {
    return asString(asObj(release.object.spec).targetNamespace) ?? this.namespaceOf(release.object) ?? this.defaultNamespace
  }

  /**
   * What helm rendered into a namespace: undefined when no HelmRelease installs there; `complete`
   * when every one of them was rendered (so an object missing from `objects` is truly not made).
   */
  renderedInto(namespace: string): {complete: boolean; objects: readonly SourcedObject[]} | undefined {
    const releases = this.helmReleases().filter((release) => this.helmTargetNamespace(release) === namespace)
    if (releases.length === 0) return undefined
    const complete = releases.every((release) => this.renderedReleases.has(release))
    return {complete, objects: this.objects.filter((item) => item.rendered && this.namespaceOf(item.object) === namespace)}
  }

  /** HelmReleases of the Prometheus operator chart (stable/prometheus-operator or kube-prometheus-stack). */
  prometheusOperatorReleases(): readonly SourcedObject[] {
    return this.helmReleases().filter((release) => /^(prometheus-operator|kube-prometheus-stack)$/.test(this.chartName(release.object) ?? ''))
  }

  /**
   * Namespaces where an nginx ingress controller runs: a HelmRelease of the ingress-nginx or
   * nginx-ingress chart, or a Deployment/DaemonSet running the controller image.
   */
  nginxControllerNamespaces(): ReadonlySet<string> {
    const namespaces = new Set<string>()
    for (const release of this.helmReleases()) {
      if (/^(ingress-nginx|nginx-ingress)$/.test(this.chartName(release.object) ?? '')) namespaces.add(this.helmTargetNamespace(release))
    }
    for (const kind of ['Deployment', 'DaemonSet']) {
      for (const workload of this.ofKind(kind, ['apps'])) {
        const containers = asList(asObj(asObj(asObj(asObj(workload.object.spec).template).spec)).containers)
        if (containers.some((container) => /ingress-nginx\/controller|nginx-ingress-controller/.test(String(asObj(container).image ?? '')))) {
          const namespace = this.namespaceOf(workload.object)
          if (namespace) namespaces.add(namespace)
        }
      }
    }
    return namespaces
  }

  /** The Services Flagger creates for each Canary. */
  generatedServices(): readonly GeneratedService[] {
    if (this.generated) return this.generated
    this.generated = []
    for (const canary of this.ofKind('Canary', ['flagger.app'])) {
      const spec = asObj(canary.object.spec)
      const service = asObj(spec.service)
      const namespace = this.namespaceOf(canary.object)
      const base = asString(service.name) ?? asString(asObj(spec.targetRef).name)
      if (!namespace || !base) continue
      const port = typeof service.port === 'number' ? service.port : undefined
      const ports = [{port, name: asString(service.portName) ?? 'http'}]
      for (const name of [base, `${base}-primary`, `${base}-canary`]) this.generated.push({namespace, name, ports, canary})
    }
    return this.generated
  }
}

function push<K, V>(map: Map<K, V[]>, k: K, v: V): void {
  const list = map.get(k)
  if (list) list.push(v)
  else map.set(k, [v])
}
