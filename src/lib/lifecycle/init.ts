// `init`: writes airflow-ecs.json — never a secret, merged with what is already there.
import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {PROJECT_FILE, type ProjectFile, readProjectFile} from '../config/resolver.js'
import {PROJECT_NAME, checkName, isCidr, shown} from '../config/validate.js'
import {invalid} from '../errors.js'
import {ensureWritableDir} from '../project/package.js'

export interface InitAnswers {
  name: string
  region: string
  allowedCidrs: string[]
  minWorkers: number
  maxWorkers: number
  platform: string
}

export {PROJECT_NAME, checkName} from '../config/validate.js'

export function checkCidr(cidr: string): string {
  const text = cidr.trim()
  if (!isCidr(text)) throw invalid(`Invalid CIDR ${shown(cidr)}.`, 'Use an IPv4 block like 203.0.113.7/32 (your address) or 10.0.0.0/8.')
  if (text.endsWith('/0')) throw invalid(`${text} opens the UI to the whole internet.`, 'Allow your own address (x.x.x.x/32) or your office range instead.')
  return text
}

export function checkWorkers(min: number, max: number): void {
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < 1 || min > max || max > 50) {
    throw invalid(`Invalid worker range ${min}..${max}.`, 'min >= 0, 1 <= max <= 50, and min <= max.')
  }
}

export function defaults(existing: ProjectFile, cwdName: string): InitAnswers {
  const fromDir = cwdName.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^[^a-z]+/, '').slice(0, 21)
  return {
    name: existing.name ?? (PROJECT_NAME.test(fromDir) ? fromDir : 'airflow'),
    region: existing.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    allowedCidrs: existing.allowedCidrs ?? [],
    minWorkers: existing.workers?.min ?? 0,
    maxWorkers: existing.workers?.max ?? 10,
    platform: existing.platform ?? 'linux/arm64',
  }
}

export function writeProjectFile(root: string, answers: InitAnswers): {path: string; created: boolean; file: ProjectFile} {
  checkName(answers.name)
  answers.allowedCidrs.forEach(checkCidr)
  checkWorkers(answers.minWorkers, answers.maxWorkers)
  ensureWritableDir(root, PROJECT_FILE)
  const path = join(root, PROJECT_FILE)
  const created = !existsSync(path)
  const file: ProjectFile = {
    ...readProjectFile(root),
    name: answers.name,
    region: answers.region,
    allowedCidrs: answers.allowedCidrs,
    workers: {min: answers.minWorkers, max: answers.maxWorkers},
    platform: answers.platform,
  }
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`)
  return {path, created, file}
}
