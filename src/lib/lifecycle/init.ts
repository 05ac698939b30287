// `init`: writes airflow-ecs.json — never a secret, merged with what is already there.
import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {PROJECT_FILE, type ProjectFile, readProjectFile} from '../config/resolver.js'
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

export const PROJECT_NAME = /^[a-z][a-z0-9-]{1,20}$/
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/

export function checkName(name: string): string {
  if (!PROJECT_NAME.test(name)) throw invalid(`Invalid project name "${name}".`, "2-21 lower-case letters, digits or '-', starting with a letter.")
  return name
}

export function checkCidr(cidr: string): string {
  const m = CIDR.exec(cidr.trim())
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) throw invalid(`Invalid CIDR "${cidr}".`, 'Use an IPv4 block like 203.0.113.7/32 (your address) or 10.0.0.0/8.')
  if (m[5] === '0') throw invalid(`${cidr} opens the UI to the whole internet.`, 'Allow your own address (x.x.x.x/32) or your office range instead.')
  return cidr.trim()
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
    platform: existing.platform ?? 'linux/amd64',
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
