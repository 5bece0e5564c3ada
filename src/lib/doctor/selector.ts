/** A Kubernetes LabelSelector (metav1.LabelSelector) as the Prometheus operator's CRDs carry it. */
export interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: Array<{key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | string; values?: string[]}>
}

/**
 * Whether labels match a selector, by apimachinery's rules (metav1.LabelSelectorAsSelector):
 * every matchLabels pair and every expression must hold; an empty selector matches everything.
 * A null selector is the caller's case: the Prometheus operator reads it as "nothing" for
 * ruleSelector/serviceMonitorSelector and "own namespace only" for the namespace selectors.
 */
export function matchesSelector(selector: LabelSelector, labels: Record<string, string> = {}): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false
  for (const expression of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, expression.key)
    const value = labels[expression.key]
    switch (expression.operator) {
      case 'In':
        if (!has || !(expression.values ?? []).includes(value)) return false
        break
      case 'NotIn':
        if (has && (expression.values ?? []).includes(value)) return false
        break
      case 'Exists':
        if (!has) return false
        break
      case 'DoesNotExist':
        if (has) return false
        break
      default:
        return false
    }
  }
  return true
}

/** The selector as kubectl would write it, for messages: `app in (a,b),team=x`. */
export function describeSelector(selector: LabelSelector | null | undefined): string {
  if (!selector) return '(none: selects nothing)'
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`)
  for (const e of selector.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`)
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`)
    else if (e.operator === 'Exists') parts.push(e.key)
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`)
  }
  return parts.length > 0 ? parts.join(',') : '(empty: selects everything)'
}
