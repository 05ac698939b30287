// Reading what the user points at (a --file, stdin, an import file) without trusting its
// size or kind: at most a limit is read (so /dev/zero or a runaway pipe fails at once
// instead of filling memory), and a folder is said to be one.
import {closeSync, fstatSync, openSync, readSync} from 'node:fs'

import {invalid} from './errors.js'

const CHUNK = 64 * 1024

function waitBriefly(): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10)
}

/**
 * The text of a file (or of stdin, fd 0), read up to maxBytes. Named pipes and process
 * substitution (`--file <(vault read …)`) work; a folder, a missing file or more than
 * maxBytes is one line saying so.
 */
export function readLimited(source: string | 0, maxBytes: number, tooLarge: (max: number) => string): string {
  const name = source === 0 ? 'stdin' : source
  let fd: number
  try {
    fd = source === 0 ? 0 : openSync(source, 'r')
  } catch (error) {
    throw invalid(`Cannot read ${name}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`)
  }
  try {
    if (fstatSync(fd).isDirectory()) throw invalid(`${name} is a folder, not a file.`, 'Give the path of a file.')
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const buffer = Buffer.alloc(CHUNK)
      let read: number
      try {
        read = readSync(fd, buffer, 0, CHUNK, null)
      } catch (error) {
        // stdin may be a non-blocking pipe: wait for the writer.
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
          waitBriefly()
          continue
        }
        if ((error as NodeJS.ErrnoException).code === 'EOF') break
        throw invalid(`Cannot read ${name}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`)
      }
      if (read === 0) break
      total += read
      if (total > maxBytes) throw invalid(tooLarge(maxBytes))
      chunks.push(buffer.subarray(0, read))
    }
    return Buffer.concat(chunks).toString('utf8')
  } finally {
    if (source !== 0) closeSync(fd)
  }
}
