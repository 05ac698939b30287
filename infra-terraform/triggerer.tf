# triggerer: one Fargate task.
module "triggerer" {
  source        = "./modules/airflow-service"
  name          = "triggerer"
  command       = ["triggerer"]
  cpu           = 512
  memory        = 1024
  desired_count = 1
  log_group     = aws_cloudwatch_log_group.airflow["triggerer"].name

  common = local.common_service
}
