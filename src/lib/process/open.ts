import {spawn} from 'node:child_process'

import {CliError} from '../errors.js'

/** Opens a URL with the platform's opener; fails with the URL to open by hand. */
export async function openInBrowser(url: string): Promise<void> {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]]
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, {detached: true, stdio: 'ignore'})
    child.once('error', (error) =>
      reject(new CliError(`Could not open a browser (${command}: ${(error as NodeJS.ErrnoException).code ?? error.message}).`, {code: 'MISSING_TOOL', hint: `Open ${url} yourself.`})),
    )
    child.once('spawn', () => {
      child.unref()
      resolve()
    })
  })
}
