# dag-processor: one Fargate task.
module "dag_processor" {
  source        = "./modules/airflow-service"
  name          = "dag-processor"
  command       = ["dag-processor"]
  cpu           = 512
  memory        = 1024
  desired_count = 1
  log_group     = aws_cloudwatch_log_group.airflow["dag-processor"].name

  common = local.common_service

  # A capacity provider must be on the cluster before a service's strategy names it.
  depends_on = [aws_ecs_cluster_capacity_providers.main]
}
