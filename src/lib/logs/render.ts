// How log events look: time, the task they came from, the message.
import {paint} from '../ui/output.js'
import {type LogEvent} from './cloudwatch.js'

export function formatEvent(event: LogEvent, component: string): string {
  const time = new Date(event.timestamp).toISOString().slice(0, 23).replace('T', ' ')
  const source = `${component}/${event.taskId.slice(0, 8)}`
  return `${paint('dim', time)} ${paint('cyan', source)} ${event.message}`
}

export function eventJson(event: LogEvent, component: string): Record<string, unknown> {
  return {
    timestamp: new Date(event.timestamp).toISOString(),
    component,
    taskId: event.taskId,
    stream: event.stream,
    message: event.message,
  }
}
