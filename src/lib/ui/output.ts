// Terminal output: colour only on a TTY without NO_COLOR, aligned tables for humans.

export function stdoutIsTTY(): boolean {
  return Boolean(process.stdout.isTTY)
}

export function stdinIsTTY(): boolean {
  return Boolean(process.stdin.isTTY)
}

export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true
  return Boolean(stream.isTTY) && process.env.TERM !== 'dumb'
}

const CODES = {bold: [1, 22], dim: [2, 22], green: [32, 39], red: [31, 39], yellow: [33, 39], cyan: [36, 39]} as const
export type Style = keyof typeof CODES

export function paint(style: Style, text: string, stream: NodeJS.WriteStream = process.stdout): string {
  if (!colorEnabled(stream)) return text
  const [open, close] = CODES[style]
  return `\u001B[${open}m${text}\u001B[${close}m`
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-9;]*m/g
const visibleLength = (text: string): number => text.replace(ANSI, '').length

export interface Column<T> {
  header: string
  get: (row: T) => string | number | undefined
  align?: 'left' | 'right'
}

/** An aligned table with a header row; empty cells show as '-'. */
export function table<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => String(c.get(row) ?? '-')))
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => visibleLength(r[i]))))
  const pad = (text: string, i: number): string => {
    const gap = ' '.repeat(widths[i] - visibleLength(text))
    return columns[i].align === 'right' ? gap + text : text + gap
  }
  const header = columns.map((c, i) => pad(c.header.toUpperCase(), i)).join('  ')
  const lines = [paint('bold', header.trimEnd()), ...cells.map((r) => r.map((cell, i) => pad(cell, i)).join('  ').trimEnd())]
  return lines.join('\n')
}
