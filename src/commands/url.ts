import {Flags} from '@oclif/core'

import {BaseCommand} from '../lib/command.js'

export default class Url extends BaseCommand {
  static override summary = 'Print the address of the Airflow web UI.'
  static override description = 'Reads the load balancer of the deployment; https when it has a 443 listener.'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> url', '<%= config.bin %> url --open', '<%= config.bin %> url --json']
  static override flags = {
    open: Flags.boolean({description: 'Open the address in your browser.'}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Url)
    const [{awsContext}, {webAddress}] = await Promise.all([import('../lib/aws/context.js'), import('../lib/web/url.js')])
    const address = await webAddress(await awsContext(flags))
    this.log(address.url)
    if (flags.open) {
      const {openInBrowser} = await import('../lib/process/open.js')
      await openInBrowser(address.url)
    }
    return address
  }
}
