import {parseDocument, stringify} from 'yaml'

import {findPlaceholders, renderTemplate} from '../alertmanager/template.js'
import {checkAlertmanagerConfig, type AlertmanagerCheck} from '../alertmanager/validate.js'
import {asObj, isObj} from './kube.js'
import type {ObjectIndex} from './object-index.js'
import type {Finding, Rule, SourcedObject, TemplateFile} from './types.js'

// Issue 17, rule 6: the Alertmanager configuration, checked as `alertmanager apply` checks it
// (the same functions), with ${NAME} placeholders standing for webhook URLs that live outside the
// repository. Messages name keys and receivers, never values (the values are the secrets).

const group = 'Alertmanager'

interface ConfigCheck {
  check: AlertmanagerCheck
  on?: SourcedObject
  file?: string
}

/** Fills every ${NAME} with a URL that stands for it, so that URL checks pass and nothing real is needed. */
function checkWithPlaceholders(text: string, file: string): AlertmanagerCheck {
  const names = [...new Set(findPlaceholders(text, file).map((use) => use.name))]
  const values = new Map(names.map((name) => [name, `https://placeholder.invalid/${name}`]))
  const rendered = renderTemplate(text, file, {values, sources: new Map()})
  return checkAlertmanagerConfig(rendered.text)
}

/** A template is an Alertmanager config if it is a mapping with a route or receivers (or its name says so). */
function looksLikeAlertmanager(template: TemplateFile): boolean {
  if (/alertmanager/i.test(template.file)) return true
  const doc = parseDocument(template.text)
  if (doc.errors.length > 0) return false
  const value: unknown = doc.toJS()
  return isObj(value) && (value.route !== undefined || value.receivers !== undefined)
}

function firstLine(message: string): string {
  return message.split('\n')[0]
}

const cache = new WeakMap<ObjectIndex, ConfigCheck[]>()

/** Every Alertmanager configuration the repository holds: templates, and prometheus-operator values. */
function alertmanagerConfigs(index: ObjectIndex, parseFailure?: (finding: Finding) => void): ConfigCheck[] {
  const cached = cache.get(index)
  if (cached && !parseFailure) return cached
  const checks: ConfigCheck[] = []
  for (const template of index.templates) {
    if (!looksLikeAlertmanager(template)) continue
    try {
      checks.push({check: checkWithPlaceholders(template.text, template.file), file: template.file})
    } catch (error) {
      parseFailure?.({at: {file: template.file, line: 1, col: 1}, message: firstLine((error as Error).message)})
    }
  }
  for (const release of index.prometheusOperatorReleases()) {
    const config = asObj(asObj(asObj(release.object.spec).values).alertmanager).config
    if (!isObj(config)) continue
    const file = `HelmRelease ${release.object.metadata.name} values alertmanager.config`
    try {
      checks.push({check: checkWithPlaceholders(stringify(config), file), on: release})
    } catch (error) {
      parseFailure?.({on: release, path: ['spec', 'values', 'alertmanager', 'config'], message: firstLine((error as Error).message)})
    }
  }
  cache.set(index, checks)
  return checks
}

function where(config: ConfigCheck): Pick<Finding, 'on' | 'path' | 'at'> {
  return config.on ? {on: config.on, path: ['spec', 'values', 'alertmanager', 'config']} : {at: {file: config.file ?? '', line: 1, col: 1}}
}

export const alertmanagerConfig: Rule = {
  id: 'alertmanager-config',
  severity: 'error',
  group,
  summary:
    "The Alertmanager config (alertmanager-secret.yaml-template, prometheus-operator values) passes `alertmanager apply`'s validation, ${NAME} placeholders allowed.",
  hint: 'fix the configuration; `elife-k8s alertmanager apply` (and Alertmanager) would refuse it',
  check(index, report) {
    for (const config of alertmanagerConfigs(index, report)) {
      for (const error of config.check.errors) report({...where(config), message: error})
    }
  },
}

export const alertmanagerUnusedReceiver: Rule = {
  id: 'alertmanager-unused-receiver',
  severity: 'warning',
  group,
  summary: 'Every receiver in the Alertmanager config is used by a route.',
  hint: 'route alerts to the receiver, or remove it',
  check(index, report) {
    for (const config of alertmanagerConfigs(index)) {
      for (const receiver of config.check.unusedReceivers) report({...where(config), message: `receiver "${receiver}" is not used by any route`})
    }
  },
}
