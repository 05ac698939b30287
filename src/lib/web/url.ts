// Where the web UI is: the load balancer's DNS name, https when a 443 listener exists.
import {DescribeListenersCommand, DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client} from '@aws-sdk/client-elastic-load-balancing-v2'

import {type AwsContext} from '../aws/context.js'
import {CliError} from '../errors.js'

export interface WebAddress {
  url: string
  dnsName: string
  https: boolean
  state?: string
  loadBalancerArn: string
}

export async function webAddress(ctx: AwsContext): Promise<WebAddress> {
  const web = ctx.deployment.web ?? {}
  if (!web.albArn && !web.albDnsName) {
    throw new CliError('This deployment has no load balancer in its Terraform outputs.', {
      code: 'NO_DEPLOYMENT',
      hint: 'Run `airflow-ecs deploy` to create it.',
    })
  }
  const elb = new ElasticLoadBalancingV2Client(ctx.clientConfig)
  let lb
  try {
    const found = await elb.send(
      new DescribeLoadBalancersCommand(web.albArn ? {LoadBalancerArns: [web.albArn]} : {}),
    )
    lb = web.albArn ? found.LoadBalancers?.[0] : found.LoadBalancers?.find((l) => l.DNSName === web.albDnsName)
  } catch (error) {
    if ((error as Error).name !== 'LoadBalancerNotFoundException') throw error
  }
  if (!lb?.LoadBalancerArn || !lb.DNSName) {
    throw new CliError('The load balancer of this deployment no longer exists.', {
      code: 'NOT_FOUND',
      hint: 'Run `airflow-ecs deploy` to recreate it (or `airflow-ecs status` to see what is there).',
    })
  }
  const listeners = await elb.send(new DescribeListenersCommand({LoadBalancerArn: lb.LoadBalancerArn}))
  const https = (listeners.Listeners ?? []).some((l) => l.Port === 443 || l.Protocol === 'HTTPS')
  // A custom domain in the outputs wins over the raw ALB name.
  const custom = web.url && !web.url.includes(lb.DNSName) ? web.url : undefined
  const url = custom ?? `${https ? 'https' : 'http'}://${lb.DNSName}`
  return {url, dnsName: lb.DNSName, https, state: lb.State?.Code, loadBalancerArn: lb.LoadBalancerArn}
}
