/**
 * helm-operator's HelmRelease CRD (helm.fluxcd.io/v1), bundled because the runbook's source
 * (https://raw.githubusercontent.com/fluxcd/helm-operator/master/deploy/crds.yaml) belongs to an
 * archived project and may not be reachable; `bootstrap --crds FILE|URL` applies another one.
 * Group, version, kind, plural, short names and scope are as in that file; the schema is left
 * open (x-kubernetes-preserve-unknown-fields), so existing HelmReleases all stay valid.
 */
export const bundledHelmOperatorCrds = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: helmreleases.helm.fluxcd.io
spec:
  group: helm.fluxcd.io
  names:
    kind: HelmRelease
    listKind: HelmReleaseList
    plural: helmreleases
    singular: helmrelease
    shortNames: [hr, hrs]
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      subresources:
        status: {}
      additionalPrinterColumns:
        - {name: Release, type: string, jsonPath: .status.releaseName, description: Release is the name of the Helm release, as given by Helm.}
        - {name: Phase, type: string, jsonPath: .status.phase, description: Phase is the current release phase being performed for the HelmRelease.}
        - {name: ReleaseStatus, type: string, jsonPath: .status.releaseStatus, description: ReleaseStatus is the status of the Helm release, as given by Helm.}
        - {name: Message, type: string, jsonPath: ".status.conditions[?(@.type==\\"Released\\")].message"}
        - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
`
