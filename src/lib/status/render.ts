import {paint, table} from '../ui/output.js'
import {type Status} from './status.js'

export function render(s: Status): string {
  const parts = [
    paint('bold', `${s.project} (cluster ${s.cluster})`),
    s.infra.source === 'package'
      ? `Terraform: the module shipped with airflow-ecs, run in ${s.infra.terraformDir}`
      : `Terraform: the project's own module in ${s.infra.terraformDir} (ejected; upgrades of airflow-ecs do not change it)`,
    `State: ${s.infra.state}${s.infra.env ? ` (environment ${s.infra.env})` : ''}`,
    table(s.components, [
      {header: 'component', get: (c) => c.component},
      {header: 'service', get: (c) => c.service},
      {header: 'desired', get: (c) => c.desired, align: 'right'},
      {header: 'running', get: (c) => c.running, align: 'right'},
      {header: 'pending', get: (c) => c.pending, align: 'right'},
      {header: 'rollout', get: (c) => (c.rollout === 'COMPLETED' ? paint('green', c.rollout) : c.rollout === 'FAILED' || c.rollout === 'MISSING' ? paint('red', c.rollout) : paint('yellow', c.rollout))},
      {header: 'task definition', get: (c) => c.taskDefinition},
    ]),
  ]
  parts.push(
    s.failedTasks.length === 0
      ? 'No recently failed tasks.'
      : `Recently failed tasks:\n${table(s.failedTasks, [
          {header: 'component', get: (t) => t.component},
          {header: 'task', get: (t) => t.taskId},
          {header: 'exit', get: (t) => t.exitCode},
          {header: 'stopped', get: (t) => t.stoppedAt},
          {header: 'reason', get: (t) => t.stoppedReason},
        ])}${s.failedTasks
          .filter((t) => t.lastLines.length > 0)
          .map((t) => `\n\nLast lines of ${t.component} task ${t.taskId}:\n${t.lastLines.map((l) => `  ${l}`).join('\n')}`)
          .join('')}`,
  )
  parts.push(
    s.targets.length === 0
      ? 'Load balancer: no registered targets.'
      : `Load balancer targets:\n${table(s.targets, [
          {header: 'target', get: (t) => t.target},
          {header: 'state', get: (t) => t.state},
          {header: 'reason', get: (t) => t.reason},
        ])}`,
  )
  parts.push(
    s.schedules.length === 0
      ? 'No scheduled scaling.'
      : `Scheduled scaling:\n${table(s.schedules, [
          {header: 'name', get: (a) => a.name},
          {header: 'component', get: (a) => a.component ?? a.service},
          {header: 'schedule', get: (a) => a.schedule},
          {header: 'tasks', get: (a) => a.minCapacity},
        ])}`,
  )
  const w = s.workerAutoscaling
  parts.push(`Worker autoscaling: follows ${w.metric}, ${w.min ?? '?'}..${w.max ?? '?'} workers, now ${w.current ?? '?'}.`)
  return parts.join('\n\n')
}
