# scheduler: one Fargate task.
module "scheduler" {
  source        = "./modules/airflow-service"
  name          = "scheduler"
  command       = ["scheduler"]
  cpu           = 512
  memory        = 1024
  desired_count = 1
  log_group     = aws_cloudwatch_log_group.airflow["scheduler"].name

  common = local.common_service

  # A capacity provider must be on the cluster before a service's strategy names it.
  depends_on = [aws_ecs_cluster_capacity_providers.main]
}
