import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {buildSchemaBundle} from '../../scripts/lint-schemas.js'
import {lintRepository} from '../../src/lib/lint/lint.js'
import {schemaSetOf, type SchemaSet} from '../../src/lib/rules/schema.js'
import {convertSchema, int64Range} from '../../src/lib/rules/schema-convert.js'

// The schema rule's int64, date-time and quantity checks: one message each, naming the field and
// never the value (test/integration/lint-dryrun.test.ts shows the API server's verdicts agree).

const scratch = mkdtempSync(path.join(tmpdir(), 'elife-k8s-lint-formats-'))
afterAll(() => rmSync(scratch, {recursive: true, force: true}))
let schemas: SchemaSet
beforeAll(() => {
  schemas = schemaSetOf(buildSchemaBundle())
}, 300_000)

let counter = 0
function lintText(text: string): string[] {
  const dir = path.join(scratch, `r${counter++}`)
  mkdirSync(dir)
  writeFileSync(path.join(dir, 'x.yaml'), text)
  return lintRepository({paths: [dir], severity: 'warning', schemas, only: ['schema']}).findings.map((f) => `${f.line}:${f.column} ${f.message}`)
}

const pod = (meta: string, container = '') =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n${meta}spec:\n  terminationGracePeriodSeconds: 30\n  containers:\n    - name: c\n      image: nginx\n${container}`

const gadgetCrd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.org
spec:
  group: example.org
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                since: {type: string, format: date-time}
                size: {type: integer, maximum: 10}
---
`

describe('the schema rule on formats', {timeout: 120_000}, () => {
  it('integers get int64 bounds unless the schema bounds them itself', () => {
    expect(convertSchema({type: 'integer', format: 'int64'})).toEqual({type: 'integer', ...int64Range})
    expect(convertSchema({type: 'integer', maximum: 10})).toEqual({type: 'integer', maximum: 10, minimum: int64Range.minimum})
    expect(convertSchema({type: 'string', format: 'uuid'})).toEqual({type: 'string'})
  })

  it('a built-in time: RFC 3339 as Go reads it, null allowed', () => {
    expect(lintText(pod('  creationTimestamp: null\n'))).toEqual([])
    expect(lintText(pod('  creationTimestamp: "2024-01-31T09:30:00Z"\n'))).toEqual([])
    for (const value of ['yesterday', '"2024-01-31t09:30:00z"', '"2024-02-30T09:30:00Z"']) {
      expect(lintText(pod(`  creationTimestamp: ${value}\n`)), value).toEqual([
        '5:3 metadata.creationTimestamp: must be a time as RFC 3339 writes it, such as 2024-01-31T09:30:00Z (a calendar day, T, a zone Z or +01:00)',
      ])
    }
  })

  it('a quantity: one message, not "must be number" besides', () => {
    const limits = (value: string) => pod('', `      resources:\n        limits:\n          memory: ${value}\n`)
    expect(lintText(limits('1.5Gi'))).toEqual([])
    expect(lintText(limits('12Gb'))).toEqual(['12:11 spec.containers[0].resources.limits.memory: must be a quantity, such as 512Mi, 1.5Gi, 250m or 1e3'])
  })

  it('an int64 beyond int64', () => {
    expect(lintText(pod('').replace('terminationGracePeriodSeconds: 30', 'terminationGracePeriodSeconds: 1e30'))).toEqual([
      '6:3 spec.terminationGracePeriodSeconds: must fit in a 64-bit integer (int64)',
    ])
  })

  it("a CRD in the repository: kube-openapi's date-time (t and z in either case), its own bounds kept", () => {
    const gadget = (spec: string) => `${gadgetCrd}apiVersion: example.org/v1\nkind: Gadget\nmetadata:\n  name: g\n  namespace: prod\nspec:\n${spec}`
    expect(lintText(gadget('  since: "2024-01-31t09:30:00z"\n  size: 3\n'))).toEqual([])
    expect(lintText(gadget('  since: "2024-01-31 09:30:00Z"\n  size: 11\n'))).toEqual([
      '29:3 spec.since: must be a time as RFC 3339 writes it, such as 2024-01-31T09:30:00Z (a calendar day, T, a zone Z or +01:00)',
      '30:3 spec.size: must be <= 10',
    ])
  })
})
