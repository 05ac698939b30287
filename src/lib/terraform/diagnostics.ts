// Terraform's diagnostics, read back from its human output (-no-color): the first
// `Error:` block is what went wrong; the lines after it are Terraform's own summary of
// what it was doing ("To see which modules… run terraform providers."), not the cause.
//
//   Error: <summary, possibly wrapped over several lines>
//
//     with aws_s3_bucket.airflow,
//     on s3.tf line 1, in resource "aws_s3_bucket" "airflow":
//      1: resource "aws_s3_bucket" "airflow" {
//
//   <detail paragraphs>
//
// With colour (or in some versions) a box (╷ │ ╵) is drawn around each block; it and any
// colour codes are dropped first.
import {lockedHint} from '../errors.js'

export interface Diagnostic {
  summary: string
  /** The resource it is about ("aws_s3_bucket.airflow"), when Terraform names one. */
  address?: string
  /** "s3.tf line 1", when Terraform points at the configuration. */
  location?: string
  /** The first sentence of the detail, on one line. */
  detail?: string
}

/** Summaries that only announce the real errors below them. */
const WRAPPERS = [/^Terraform encountered problems during initiali[sz]ation/i]

// eslint-disable-next-line no-control-regex
const unbox = (line: string): string => line.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '').replace(/^\s*[│╷╵]\s?/, '').replace(/\s+$/, '')
const isHeading = (line: string): boolean => /^(Error|Warning): /.test(line)

/** At most max characters, cut at a word, without the punctuation before the cut. */
function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max).replace(/\s+\S*$/, '').replace(/[\s.,:;]+$/, '')}…`
}

function firstSentence(paragraph: string, max: number): string {
  return cut(/^(.+?[.!?])(\s|$)/.exec(paragraph)?.[1] ?? paragraph, max)
}

/** Every Error diagnostic in an output, in order. */
export function errorDiagnostics(output: string): Diagnostic[] {
  const lines = output.split('\n').map(unbox)
  const found: Diagnostic[] = []
  for (let i = 0; i < lines.length; i++) {
    const heading = /^Error: (.*)$/.exec(lines[i])
    if (!heading) continue
    // The summary runs until a blank line (Terraform wraps long ones).
    const summary = [heading[1].trim()]
    let j = i + 1
    for (; j < lines.length && lines[j].trim() !== '' && !isHeading(lines[j]); j++) summary.push(lines[j].trim())
    const diagnostic: Diagnostic = {summary: summary.join(' ').replace(/\s+/g, ' ')}
    // Then: "with <address>,", "on <file> line <n>…:", the source snippet, and the detail.
    const detail: string[] = []
    let inDetail = false
    for (; j < lines.length && !isHeading(lines[j]); j++) {
      const line = lines[j]
      const trimmed = line.trim()
      if (!inDetail) {
        const withAddress = /^with (.+?),?$/.exec(trimmed)
        const on = /^on (.+? line \d+)/.exec(trimmed)
        if (withAddress && !diagnostic.address) diagnostic.address = withAddress[1]
        else if (on && !diagnostic.location) diagnostic.location = on[1]
        else if (trimmed === '' || /^\d+:/.test(trimmed) || /^[├└│]/.test(trimmed) || /^\s{2,}/.test(line)) continue
        else inDetail = true
      }
      if (inDetail) {
        if (trimmed === '') break
        detail.push(trimmed)
      }
    }
    if (detail.length > 0) diagnostic.detail = firstSentence(detail.join(' ').replace(/\s+/g, ' '), 180)
    found.push(diagnostic)
    i = j - 1
  }
  return found
}

/** The first real Error diagnostic, or undefined when the output has none. */
export function firstError(output: string): Diagnostic | undefined {
  const all = errorDiagnostics(output)
  return all.find((d) => !WRAPPERS.some((w) => w.test(d.summary))) ?? all[0]
}

/** One line: the summary, the resource (or the file and line), and the start of the detail. */
export function terraformSummary(output: string): string | undefined {
  const d = firstError(output)
  if (!d) return undefined
  const where = d.address ? ` (with ${d.address})` : d.location ? ` (${d.location})` : ''
  // Cut long provider errors (whole API responses) so the address after them still shows.
  const summary = cut(d.summary, 200).replace(/[.:]$/, '')
  // The detail only when the summary alone says little ("Failed to query available provider packages").
  const detail = d.detail && !d.address && d.summary.length < 80 && !d.detail.startsWith(summary) ? `: ${d.detail.replace(/[.:]$/, '')}` : ''
  return `${summary}${where}${detail}`
}

/**
 * The runner's `explain` for terraform: the first Error as the message, and when it points
 * at the configuration rather than at AWS, what to fix there instead of the step's hint.
 */
export function explainTerraform(
  output: string,
  terraformDir: string,
  who: {env?: string; project: string} = {project: ''},
): {message: string; hint?: string; code?: 'STATE_LOCKED'} | undefined {
  const message = terraformSummary(output)
  if (!message) return undefined
  const d = firstError(output)!
  if (/acquiring the state lock/i.test(d.summary)) {
    // Terraform's own lock (someone ran terraform by hand, or a run was killed): its Lock Info names the holder.
    const field = (name: string): string | undefined => new RegExp(`^\\s*${name}:\\s*(.+?)\\s*$`, 'm').exec(output)?.[1]
    const id = field('ID') ?? '?'
    const operation = field('Operation')?.replace(/^OperationType/, 'terraform ').toLowerCase()
    return {
      message: `the state is locked${operation ? ` (${operation})` : ''}${field('Who') ? ` by ${field('Who')}` : ''}${field('Created') ? ` since ${field('Created')}` : ''}, lock ID ${id}`,
      hint: lockedHint(id, who.env),
      code: 'STATE_LOCKED',
    }
  }
  if (/^No value for required variable/i.test(d.summary)) {
    return {message, hint: 'Give the variable a value under "terraformVars" in airflow-ecs.json, then run the same command again.'}
  }
  if (d.location && !d.address) {
    return {message, hint: `Fix ${d.location.replace(/ line /, ', line ')} in ${terraformDir}, then run the same command again.`}
  }
  return {message}
}
