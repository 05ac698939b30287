# The metrics publisher: counts running + queued task instances in the metadata DB and
# publishes DesiredWorkers = ceil((running + queued) / tasks_per_worker), clamped to
# min_workers..max_workers, every metrics_period_seconds (60 s by default) (see autoscaling.tf for the policy that follows it).
module "metrics" {
  source        = "./modules/airflow-service"
  name          = "metrics"
  command       = ["python", "-m", "airflow_ecs.metrics_publisher"]
  cpu           = 256
  memory        = 512
  desired_count = 1
  log_group     = aws_cloudwatch_log_group.airflow["metrics"].name
  extra_environment = {
    AIRFLOW_ECS_METRICS_NAMESPACE = local.metric_namespace
    AIRFLOW_ECS_TASKS_PER_WORKER  = tostring(var.tasks_per_worker)
    AIRFLOW_ECS_MIN_WORKERS       = tostring(var.min_workers)
    AIRFLOW_ECS_MAX_WORKERS       = tostring(var.max_workers)
    AIRFLOW_ECS_METRICS_PERIOD    = tostring(var.metrics_period_seconds)
  }

  common = local.common_service

  # A capacity provider must be on the cluster before a service's strategy names it.
  depends_on = [aws_ecs_cluster_capacity_providers.main]
}
