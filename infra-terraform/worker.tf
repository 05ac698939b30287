# Celery workers: mostly FARGATE_SPOT with a FARGATE share (base 0, so they can scale to
# zero). FARGATE_SPOT runs ARM64 tasks on platform version 1.4.0 or later (the ECS API
# reference, CapacityProviderStrategyItem), which LATEST is. Scale-in loses no task: a busy worker sets ECS task scale-in protection on
# itself (airflow_ecs.worker_protection), and on SIGTERM Celery's warm shutdown gets
# 120 s to finish what it runs.
locals {
  worker_capacity_provider_strategy = [
    { capacity_provider = "FARGATE_SPOT", weight = var.worker_spot_weight, base = 0 },
    { capacity_provider = "FARGATE", weight = 1, base = 0 },
  ]
}

module "worker" {
  source = "./modules/airflow-service"
  name   = "worker"
  containers = [{
    name         = "worker"
    command      = ["celery", "worker"]
    stop_timeout = 120
    log_group    = aws_cloudwatch_log_group.airflow["worker"].name
    environment = {
      AIRFLOW_ECS_TASK_PROTECTION = "true"
    }
  }]
  cpu                        = 1024
  memory                     = 4096
  desired_count              = var.min_workers
  capacity_provider_strategy = local.worker_capacity_provider_strategy

  common = local.common_service

  # A capacity provider must be on the cluster before a service's strategy names it.
  depends_on = [aws_ecs_cluster_capacity_providers.main]
}
