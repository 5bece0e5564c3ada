import {parseDocument} from 'yaml'

import {isHttpUrl, yamlErrorWhere} from './template.js'

/**
 * Checks an Alertmanager configuration the way Alertmanager's own loader (config.Load, which
 * `amtool check-config` runs) does for the parts eLife's config uses: strict keys, the routing
 * tree, receivers, and the Slack/webhook/email notifiers. Other notifier types (PagerDuty,
 * OpsGenie...) are only checked for being a list of mappings. Messages name keys and receivers,
 * never values, since the values are the secrets.
 */
export interface AlertmanagerCheck {
  /** Problems that make Alertmanager refuse the configuration (amtool check-config fails). */
  errors: string[]
  /** Receivers defined but never used by any route: Alertmanager accepts them; we report them. */
  unusedReceivers: string[]
  /** Every receiver name, in order. */
  receivers: string[]
}

type Obj = Record<string, unknown>

const topLevelKeys = ['global', 'route', 'inhibit_rules', 'receivers', 'templates', 'mute_time_intervals', 'time_intervals', 'tracing', 'event_recorder']
const globalKeys = [
  'resolve_timeout',
  'http_config',
  'jira_api_url',
  'smtp_from',
  'smtp_hello',
  'smtp_smarthost',
  'smtp_auth_username',
  'smtp_auth_password',
  'smtp_auth_password_file',
  'smtp_auth_secret',
  'smtp_auth_secret_file',
  'smtp_auth_identity',
  'smtp_require_tls',
  'smtp_tls_config',
  'smtp_force_implicit_tls',
  'slack_api_url',
  'slack_api_url_file',
  'slack_app_token',
  'slack_app_token_file',
  'slack_app_url',
  'pagerduty_url',
  'opsgenie_api_url',
  'opsgenie_api_key',
  'opsgenie_api_key_file',
  'wechat_api_url',
  'wechat_api_secret',
  'wechat_api_secret_file',
  'wechat_api_corp_id',
  'victorops_api_url',
  'victorops_api_key',
  'victorops_api_key_file',
  'telegram_api_url',
  'telegram_bot_token',
  'telegram_bot_token_file',
  'webex_api_url',
  'rocketchat_api_url',
  'rocketchat_token',
  'rocketchat_token_file',
  'rocketchat_token_id',
  'rocketchat_token_id_file',
  'mattermost_webhook_url',
  'mattermost_webhook_url_file',
]
const globalUrlKeys = [
  'jira_api_url',
  'slack_api_url',
  'slack_app_url',
  'pagerduty_url',
  'opsgenie_api_url',
  'wechat_api_url',
  'victorops_api_url',
  'telegram_api_url',
  'webex_api_url',
  'rocketchat_api_url',
  'mattermost_webhook_url',
]
const routeKeys = [
  'receiver',
  'group_by',
  'match',
  'match_re',
  'matchers',
  'mute_time_intervals',
  'active_time_intervals',
  'continue',
  'routes',
  'group_wait',
  'group_interval',
  'repeat_interval',
  'labels',
]
const notifierLists = [
  'discord_configs',
  'email_configs',
  'incidentio_configs',
  'pagerduty_configs',
  'slack_configs',
  'webhook_configs',
  'opsgenie_configs',
  'wechat_configs',
  'pushover_configs',
  'victorops_configs',
  'sns_configs',
  'telegram_configs',
  'webex_configs',
  'msteams_configs',
  'msteamsv2_configs',
  'jira_configs',
  'rocketchat_configs',
  'mattermost_configs',
]
const receiverKeys = ['name', 'labels', ...notifierLists]
const slackKeys = [
  'send_resolved',
  'http_config',
  'api_url',
  'api_url_file',
  'app_token',
  'app_token_file',
  'app_url',
  'channel',
  'username',
  'color',
  'title',
  'title_link',
  'pretext',
  'text',
  'message_text',
  'fields',
  'short_fields',
  'footer',
  'fallback',
  'callback_id',
  'icon_emoji',
  'icon_url',
  'image_url',
  'thumb_url',
  'link_names',
  'mrkdwn_in',
  'actions',
  'update_message',
  'timeout',
]
const webhookKeys = ['send_resolved', 'http_config', 'url', 'url_file', 'max_alerts', 'timeout', 'payload']
const emailKeys = [
  'send_resolved',
  'to',
  'from',
  'hello',
  'smarthost',
  'auth_username',
  'auth_password',
  'auth_password_file',
  'auth_secret',
  'auth_secret_file',
  'auth_identity',
  'headers',
  'html',
  'text',
  'require_tls',
  'tls_config',
  'force_implicit_tls',
  'threading',
]
const inhibitKeys = ['name', 'source_match', 'source_match_re', 'source_matchers', 'target_match', 'target_match_re', 'target_matchers', 'equal']
const timeIntervalKeys = ['name', 'time_intervals']

/** Alertmanager/Prometheus duration syntax (model.ParseDuration): 1d2h30m, 5m, 0. */
const durationPattern = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/
const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isDuration(value: unknown): boolean {
  if (typeof value === 'number') return value === 0
  return typeof value === 'string' && (value === '0' || (value !== '' && durationPattern.test(value)))
}

function isZeroDuration(value: unknown): boolean {
  return value === 0 || value === '0' || (typeof value === 'string' && durationPattern.test(value) && /^[0ywdhms]+$/.test(value))
}

function unknownKeys(obj: Obj, allowed: readonly string[], where: string, errors: string[]): void {
  for (const key of Object.keys(obj)) if (!allowed.includes(key)) errors.push(`${where}: unknown field "${key}"`)
}

/** The `<secret>` token amtool prints for hidden values; Alertmanager accepts it in URL fields. */
const secretToken = '<secret>'

function checkUrl(value: unknown, where: string, errors: string[], templated = false): void {
  if (value === undefined || value === null || value === '' || value === secretToken) return
  if (typeof value !== 'string') {
    errors.push(`${where} is not a string`)
    return
  }
  if (templated && value.includes('{{')) return
  if (!isHttpUrl(value)) errors.push(`${where} is not a valid http(s) URL`)
}

/** Checks Alertmanager configuration text. Pure: no cluster, no disk. */
export function checkAlertmanagerConfig(text: string): AlertmanagerCheck {
  const errors: string[] = []
  const doc = parseDocument(text, {uniqueKeys: true})
  if (doc.errors.length > 0) {
    // Where, not yaml's message: it can quote the source, which holds the webhook URLs.
    return {errors: [`does not parse as YAML: ${yamlErrorWhere(doc.errors[0])}`], unusedReceivers: [], receivers: []}
  }
  const config: unknown = doc.toJS()
  if (config === null || config === undefined) return {errors: ['no route provided in config'], unusedReceivers: [], receivers: []}
  if (!isObj(config)) return {errors: ['the configuration is not a YAML mapping'], unusedReceivers: [], receivers: []}
  unknownKeys(config, topLevelKeys, 'top level', errors)

  const global = config.global === undefined || config.global === null ? {} : config.global
  if (!isObj(global)) errors.push('global is not a mapping')
  else {
    unknownKeys(global, globalKeys, 'global', errors)
    for (const key of globalUrlKeys) checkUrl(global[key], `global.${key}`, errors)
    if (global.resolve_timeout !== undefined && !isDuration(global.resolve_timeout)) errors.push('global.resolve_timeout is not a duration')
  }
  const globals: Obj = isObj(global) ? global : {}

  const receivers: string[] = []
  if (config.receivers !== undefined && config.receivers !== null && !Array.isArray(config.receivers)) errors.push('receivers is not a list')
  const receiverList = Array.isArray(config.receivers) ? config.receivers : []
  receiverList.forEach((receiver: unknown, index) => {
    const where = `receivers[${index}]`
    if (!isObj(receiver)) {
      errors.push(`${where} is not a mapping`)
      return
    }
    unknownKeys(receiver, receiverKeys, where, errors)
    if (typeof receiver.name !== 'string' || receiver.name === '') {
      errors.push(`${where}: missing name in receiver`)
      return
    }
    const name = receiver.name
    if (receivers.includes(name)) errors.push(`receiver name "${name}" is not unique`)
    receivers.push(name)
    checkReceiver(receiver, `receiver "${name}"`, globals, errors)
  })

  const timeIntervals = new Set<string>()
  for (const listKey of ['mute_time_intervals', 'time_intervals'] as const) {
    const list = config[listKey]
    if (list === undefined || list === null) continue
    if (!Array.isArray(list)) {
      errors.push(`${listKey} is not a list`)
      continue
    }
    list.forEach((interval: unknown, index) => {
      if (!isObj(interval) || typeof interval.name !== 'string' || interval.name === '') {
        errors.push(`${listKey}[${index}]: missing name in time interval`)
        return
      }
      unknownKeys(interval, timeIntervalKeys, `${listKey}[${index}]`, errors)
      if (timeIntervals.has(interval.name)) errors.push(`time interval "${interval.name}" is not unique`)
      timeIntervals.add(interval.name)
    })
  }

  if (config.inhibit_rules !== undefined && config.inhibit_rules !== null) {
    if (!Array.isArray(config.inhibit_rules)) errors.push('inhibit_rules is not a list')
    else {
      config.inhibit_rules.forEach((rule: unknown, index) => {
        if (!isObj(rule)) errors.push(`inhibit_rules[${index}] is not a mapping`)
        else unknownKeys(rule, inhibitKeys, `inhibit_rules[${index}]`, errors)
      })
    }
  }

  const used = new Set<string>()
  const route = config.route
  if (route === undefined || route === null) errors.push('no route provided in config')
  else if (!isObj(route)) errors.push('route is not a mapping')
  else {
    if (route.continue === true) errors.push('cannot have continue in root route')
    if (typeof route.receiver !== 'string' || route.receiver === '') errors.push('root route must specify a default receiver')
    if (route.match !== undefined || route.match_re !== undefined || route.matchers !== undefined) errors.push('root route must not have any matchers')
    if (route.mute_time_intervals !== undefined) errors.push('root route must not have any mute time intervals')
    if (route.active_time_intervals !== undefined) errors.push('root route must not have any active time intervals')
    checkRoute(route, 'route', new Set(receivers), timeIntervals, used, errors)
  }

  return {errors, receivers, unusedReceivers: receivers.filter((name) => !used.has(name))}
}

function checkRoute(route: Obj, where: string, receivers: Set<string>, timeIntervals: Set<string>, used: Set<string>, errors: string[]): void {
  unknownKeys(route, routeKeys, where, errors)
  if (route.receiver !== undefined && route.receiver !== null && route.receiver !== '') {
    if (typeof route.receiver !== 'string') errors.push(`${where}.receiver is not a string`)
    else if (!receivers.has(route.receiver)) errors.push(`undefined receiver "${route.receiver}" used in ${where}`)
    else used.add(route.receiver)
  }
  for (const key of ['group_wait', 'group_interval', 'repeat_interval']) {
    if (route[key] === undefined) continue
    if (!isDuration(route[key])) errors.push(`${where}.${key} is not a duration`)
    else if (key !== 'group_wait' && isZeroDuration(route[key])) errors.push(`${where}.${key} cannot be zero`)
  }
  if (route.group_by !== undefined && route.group_by !== null) {
    if (!Array.isArray(route.group_by)) errors.push(`${where}.group_by is not a list`)
    else {
      const labels = route.group_by.filter((label) => label !== '...')
      if (labels.length !== route.group_by.length && labels.length > 0)
        errors.push(`${where}: cannot have wildcard group_by (\`...\`) and other labels at the same time`)
      const seen = new Set<unknown>()
      for (const label of labels) {
        if (typeof label !== 'string' || !labelNamePattern.test(label)) errors.push(`${where}: invalid label name ${JSON.stringify(label)} in group_by list`)
        else if (seen.has(label)) errors.push(`${where}: duplicated label "${label}" in group_by`)
        seen.add(label)
      }
    }
  }
  if (isObj(route.match)) for (const key of Object.keys(route.match)) if (!labelNamePattern.test(key)) errors.push(`${where}: invalid label name "${key}"`)
  for (const key of ['mute_time_intervals', 'active_time_intervals']) {
    const names = route[key]
    if (!Array.isArray(names)) continue
    for (const name of names) if (!timeIntervals.has(String(name))) errors.push(`undefined time interval "${String(name)}" used in ${where}`)
  }
  if (route.routes === undefined || route.routes === null) return
  if (!Array.isArray(route.routes)) {
    errors.push(`${where}.routes is not a list`)
    return
  }
  route.routes.forEach((child: unknown, index) => {
    if (!isObj(child)) errors.push(`${where}.routes[${index}] is not a mapping`)
    else checkRoute(child, `${where}.routes[${index}]`, receivers, timeIntervals, used, errors)
  })
}

function checkReceiver(receiver: Obj, where: string, globals: Obj, errors: string[]): void {
  for (const listKey of notifierLists) {
    const list = receiver[listKey]
    if (list === undefined || list === null) continue
    if (!Array.isArray(list)) {
      errors.push(`${where}: ${listKey} is not a list`)
      continue
    }
    list.forEach((config: unknown, index) => {
      const at = `${where} ${listKey}[${index}]`
      if (config === null && listKey === 'slack_configs') config = {}
      if (!isObj(config)) {
        errors.push(`${at}: missing ${listKey.replace(/_configs$/, '')} config`)
        return
      }
      if (listKey === 'slack_configs') checkSlack(config, at, globals, errors)
      else if (listKey === 'webhook_configs') checkWebhook(config, at, errors)
      else if (listKey === 'email_configs') checkEmail(config, at, globals, errors)
    })
  }
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== ''
}

function checkSlack(slack: Obj, at: string, globals: Obj, errors: string[]): void {
  unknownKeys(slack, slackKeys, at, errors)
  checkUrl(slack.api_url, `${at}.api_url`, errors)
  checkUrl(slack.app_url, `${at}.app_url`, errors)
  const hasUrl = present(slack.api_url) || present(slack.api_url_file)
  const hasToken = present(slack.app_token) || present(slack.app_token_file)
  if (present(slack.api_url) && present(slack.api_url_file)) errors.push(`${at}: at most one of api_url & api_url_file must be configured`)
  if (hasUrl && hasToken) errors.push(`${at}: at most one of api_url/api_url_file & app_token/app_token_file must be configured`)
  const globalUrl = present(globals.slack_api_url) || present(globals.slack_api_url_file)
  const globalToken = present(globals.slack_app_token) || present(globals.slack_app_token_file)
  if (!hasUrl && !hasToken && !globalUrl && !globalToken) {
    errors.push(`${at}: no Slack API URL nor App token set (set api_url, or global.slack_api_url)`)
  }
}

function checkWebhook(webhook: Obj, at: string, errors: string[]): void {
  unknownKeys(webhook, webhookKeys, at, errors)
  if (!present(webhook.url) && !present(webhook.url_file)) errors.push(`${at}: one of url or url_file must be configured`)
  if (present(webhook.url) && present(webhook.url_file)) errors.push(`${at}: at most one of url & url_file must be configured`)
  checkUrl(webhook.url, `${at}.url`, errors, true)
}

function checkEmail(email: Obj, at: string, globals: Obj, errors: string[]): void {
  unknownKeys(email, emailKeys, at, errors)
  if (!present(email.to)) errors.push(`${at}: missing to address in email config`)
  if (!present(email.smarthost) && !present(globals.smtp_smarthost)) errors.push(`${at}: no global SMTP smarthost set`)
  if (!present(email.from) && !present(globals.smtp_from)) errors.push(`${at}: no global SMTP from set`)
}
