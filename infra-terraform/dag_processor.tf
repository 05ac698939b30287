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
}
