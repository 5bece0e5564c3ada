/** One check of `elife-k8s doctor --json`. */
export interface CheckJson {
  id: string
  status: 'ok' | 'warn' | 'fail' | 'skipped'
  message: string
  objects?: string[]
  fix?: string
}

/** `elife-k8s doctor --json`. */
export interface DoctorJson {
  checks: CheckJson[]
  summary: Record<string, number>
}
