// Many log events in moto, for the `logs` volume test and the benchmark: event i has the
// message "event <i, 6 digits>", the timestamp from + i * spacing, and goes to stream
// ecs/airflow/task<i % streams>; one PutLogEvents batch (at most 10,000 events) at a time.
import {CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand} from '@aws-sdk/client-cloudwatch-logs'

export const seq = (i: number): string => String(i).padStart(6, '0')
export const streamName = (s: number): string => `ecs/airflow/task${String(s).padStart(2, '0')}`

export async function putEvents(logs: CloudWatchLogsClient, group: string, options: {count: number; streams: number; from: number; spacingMs: number}): Promise<void> {
  const batches: Array<Array<{timestamp: number; message: string}>> = Array.from({length: options.streams}, () => [])
  for (let i = 0; i < options.count; i++) batches[i % options.streams].push({timestamp: options.from + i * options.spacingMs, message: `event ${seq(i)}`})
  for (let s = 0; s < options.streams; s++) {
    const logStreamName = streamName(s)
    await logs.send(new CreateLogStreamCommand({logGroupName: group, logStreamName}))
    for (let b = 0; b < batches[s].length; b += 10_000) {
      await logs.send(new PutLogEventsCommand({logGroupName: group, logStreamName, logEvents: batches[s].slice(b, b + 10_000)}))
    }
  }
}
