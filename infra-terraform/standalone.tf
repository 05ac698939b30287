# The template for one-off tasks (`airflow-ecs task ...`): the command is overridden per
# run. The app container logs through FireLens (the aws-for-fluent-bit "init" image) to
# CloudWatch, where `task --wait` and `logs` read them, and to Firehose -> S3 for keeping,
# as the reference did. The log router's own logs go to CloudWatch through awslogs.
#
# Stream names follow the same contract as awslogs: "ecs/airflow/<task id>". FireLens tags
# records "<container>-firelens-<task id>", so a plain log_stream_prefix would give
# "ecs/airflow-firelens-<task id>". Instead, the extra config below (fetched from S3 by the
# init image, which exports ECS_TASK_ID) adds an ecs_task_id field to each record, and
# the cloudwatch_logs output names the stream with log_stream_template. log_stream_prefix
# stays as the plugin's fallback should the template ever fail to resolve.
locals {
  standalone_family    = "${var.project_name}-standalone"
  standalone_container = "airflow"
  standalone_cpu       = 512 # the defaults; `airflow-ecs task --cpu/--memory` override per run
  standalone_memory    = 1024
  standalone_tag       = "${local.standalone_container}-firelens*"
  fluent_bit_image     = "public.ecr.aws/aws-observability/aws-for-fluent-bit:init-stable"
}

resource "aws_s3_object" "fluent_bit_standalone" {
  bucket       = aws_s3_bucket.airflow.id
  key          = "fluent-bit/standalone.conf"
  content_type = "text/plain"
  content      = <<-EOT
    [FILTER]
        Name   modify
        Match  ${local.standalone_tag}
        Add    ecs_task_id $${ECS_TASK_ID}

    [OUTPUT]
        Name            kinesis_firehose
        Match           ${local.standalone_tag}
        region          ${data.aws_region.current.id}
        delivery_stream ${aws_kinesis_firehose_delivery_stream.standalone.name}
        time_key        time
  EOT
}

resource "aws_ecs_task_definition" "standalone" {
  family                   = local.standalone_family
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(local.standalone_cpu)
  memory                   = tostring(local.standalone_memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  container_definitions = jsonencode([
    {
      name                  = "log_router"
      image                 = local.fluent_bit_image
      essential             = true
      firelensConfiguration = { type = "fluentbit", options = { "enable-ecs-log-metadata" = "true" } }
      environment           = [{ name = "aws_fluent_bit_init_s3_1", value = "${aws_s3_bucket.airflow.arn}/${aws_s3_object.fluent_bit_standalone.key}" }]
      memoryReservation     = 50
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.airflow["log-router"].name
          awslogs-region        = data.aws_region.current.id
          awslogs-stream-prefix = "ecs"
        }
      }
    },
    {
      name        = local.standalone_container
      image       = var.image
      essential   = true
      command     = ["version"]
      environment = [for k in sort(keys(local.airflow_environment)) : { name = k, value = local.airflow_environment[k] }]
      # The admin password is only for `airflow-ecs deploy`'s `users create`, read by the
      # shell in the container, so it never appears in a command line or in DescribeTasks.
      secrets         = [for k, v in merge(local.airflow_secrets, { AIRFLOW_ECS_ADMIN_PASSWORD = local.secret_arns["admin_password"] }) : { name = k, valueFrom = v }]
      linuxParameters = { initProcessEnabled = true }
      dependsOn       = [{ containerName = "log_router", condition = "START" }]
      logConfiguration = {
        logDriver = "awsfirelens"
        options = {
          Name                = "cloudwatch_logs"
          region              = data.aws_region.current.id
          log_group_name      = aws_cloudwatch_log_group.airflow["standalone"].name
          log_stream_prefix   = "ecs/"
          log_stream_template = "ecs/${local.standalone_container}/$ecs_task_id"
          log_key             = "log"
          auto_create_group   = "false"
        }
      }
    },
  ])
}
