# Worker autoscaling the MWAA way. The metrics publisher puts
#   DesiredWorkers = clamp(ceil((running + queued task instances) / tasks_per_worker), min, max)
# every 60 s. An alarm that is always in ALARM (DesiredWorkers >= 0) invokes a step policy
# with ExactCapacity steps each minute, so the worker count follows the metric, from zero
# and back to zero. Step scaling keeps invoking while the alarm stays in ALARM.
resource "aws_appautoscaling_target" "worker" {
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.main.name}/${module.worker.service_name}"
  min_capacity       = var.min_workers
  max_capacity       = var.max_workers
}

resource "aws_appautoscaling_policy" "worker" {
  name               = "${var.project_name}-workers-follow-desired"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.worker.service_namespace
  scalable_dimension = aws_appautoscaling_target.worker.scalable_dimension
  resource_id        = aws_appautoscaling_target.worker.resource_id

  step_scaling_policy_configuration {
    adjustment_type         = "ExactCapacity"
    metric_aggregation_type = "Maximum"
    cooldown                = 60

    # Metric value v (relative to the alarm threshold 0) in [n, n+1) means n workers.
    dynamic "step_adjustment" {
      for_each = range(0, var.max_workers)
      content {
        metric_interval_lower_bound = step_adjustment.value
        metric_interval_upper_bound = step_adjustment.value + 1
        scaling_adjustment          = step_adjustment.value
      }
    }
    step_adjustment {
      metric_interval_lower_bound = var.max_workers
      scaling_adjustment          = var.max_workers
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "worker_desired" {
  alarm_name          = "${var.project_name}-workers-desired"
  alarm_description   = "Always in ALARM while the metrics publisher runs: drives the worker step policy."
  namespace           = local.metric_namespace
  metric_name         = "DesiredWorkers"
  dimensions          = { Cluster = aws_ecs_cluster.main.name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "ignore"
  alarm_actions       = [aws_appautoscaling_policy.worker.arn]
}

# Optional scale-to-zero windows (nights, weekends): every service sleeps, the workers too
# (their target's bounds go to 0, then back to min_workers..max_workers). While asleep
# nothing runs: no scheduled DAG run starts, no UI, no API (infra-terraform/README.md).
# The office-hours preset: 07:00-19:00 Monday to Friday in schedule_timezone.
locals {
  office_hours     = var.scale_to_zero_preset == "office-hours"
  schedule_enabled = var.scale_to_zero_enabled || local.office_hours
  scale_down_cron  = local.office_hours ? "cron(0 19 ? * MON-FRI *)" : var.scale_down_cron
  scale_up_cron    = local.office_hours ? "cron(0 7 ? * MON-FRI *)" : var.scale_up_cron

  # Service key => its ECS service and the count it wakes up to (workers: below).
  scheduled_components = local.schedule_enabled ? merge(
    { "api-server" = { service = module.api_server.service_name, count = local.api_server_size.count } },
    { for key, m in module.light : key => { service = m.service_name, count = local.light_services[key].count } },
  ) : {}
}

resource "aws_appautoscaling_target" "scheduled" {
  for_each           = local.scheduled_components
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.main.name}/${each.value.service}"
  min_capacity       = 0
  max_capacity       = each.value.count
}

resource "aws_appautoscaling_scheduled_action" "scale_down" {
  for_each           = local.scheduled_components
  name               = "${var.project_name}-${each.key}-scale-down"
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = aws_appautoscaling_target.scheduled[each.key].resource_id
  schedule           = local.scale_down_cron
  timezone           = var.schedule_timezone
  scalable_target_action {
    min_capacity = 0
    max_capacity = 0
  }
}

resource "aws_appautoscaling_scheduled_action" "scale_up" {
  for_each           = local.scheduled_components
  name               = "${var.project_name}-${each.key}-scale-up"
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = aws_appautoscaling_target.scheduled[each.key].resource_id
  schedule           = local.scale_up_cron
  timezone           = var.schedule_timezone
  scalable_target_action {
    min_capacity = each.value.count
    max_capacity = each.value.count
  }
  depends_on = [aws_appautoscaling_scheduled_action.scale_down]
}

resource "aws_appautoscaling_scheduled_action" "workers_sleep" {
  count              = local.schedule_enabled ? 1 : 0
  name               = "${var.project_name}-worker-scale-down"
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = aws_appautoscaling_target.worker.resource_id
  schedule           = local.scale_down_cron
  timezone           = var.schedule_timezone
  scalable_target_action {
    min_capacity = 0
    max_capacity = 0
  }
}

resource "aws_appautoscaling_scheduled_action" "workers_wake" {
  count              = local.schedule_enabled ? 1 : 0
  name               = "${var.project_name}-worker-scale-up"
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = aws_appautoscaling_target.worker.resource_id
  schedule           = local.scale_up_cron
  timezone           = var.schedule_timezone
  scalable_target_action {
    min_capacity = var.min_workers
    max_capacity = var.max_workers
  }
  depends_on = [aws_appautoscaling_scheduled_action.workers_sleep]
}
