# Airflow 3 configuration, in one place, for every container: plain settings as
# environment, secrets as Secrets Manager references resolved by ECS at start.
locals {
  sqs_visibility_timeout = 21600 # 6 h: a task running longer is redelivered by SQS
  metric_namespace       = "AirflowEcs"
  api_dns_name           = "api-server.${aws_service_discovery_private_dns_namespace.main.name}"

  # The S3 DAG bundle (dags_source = "bundle"): the amazon provider's S3DagBundle syncs the
  # prefix dags/live/ to local disk; `airflow-ecs dags deploy` writes that prefix and keeps
  # every published version (dags/versions/, dags/objects/) for rollback. No aws_conn_id:
  # boto3's default chain (the task role). Limits of this scheme: infra-terraform/README.md.
  dags_bucket_prefix = "dags/live"
  dags_bundle_environment = var.dags_source == "bundle" ? {
    AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST = jsonencode([{
      name      = "s3-dags"
      classpath = "airflow.providers.amazon.aws.bundles.s3.S3DagBundle"
      kwargs = {
        bucket_name      = aws_s3_bucket.airflow.bucket
        prefix           = local.dags_bucket_prefix
        aws_conn_id      = null
        refresh_interval = var.dags_refresh_interval
      }
    }])
  } : {}

  airflow_environment = merge(local.dags_bundle_environment, {
    AIRFLOW__CORE__EXECUTOR                  = "CeleryExecutor"
    AIRFLOW__CORE__AUTH_MANAGER              = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
    AIRFLOW__CORE__LOAD_EXAMPLES             = "False"
    AIRFLOW__CORE__DAGS_FOLDER               = "/opt/airflow/dags"
    AIRFLOW__CORE__EXECUTION_API_SERVER_URL  = "http://${local.api_dns_name}:8080/execution/"
    AIRFLOW__API__BASE_URL                   = local.web_url
    AIRFLOW__CELERY__BROKER_URL              = "sqs://"
    AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS   = "airflow_ecs.celery_config.CELERY_CONFIG"
    AIRFLOW__CELERY__WORKER_CONCURRENCY      = tostring(var.tasks_per_worker)
    AIRFLOW__LOGGING__LOGGING_CONFIG_CLASS   = "airflow_ecs.logging_config.LOGGING_CONFIG"
    AIRFLOW__LOGGING__REMOTE_LOGGING         = "True"
    AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER = "s3://${aws_s3_bucket.airflow.bucket}/logs"
    AIRFLOW__LOGGING__REMOTE_LOG_CONN_ID     = "aws_default"
    AIRFLOW__SECRETS__BACKEND                = "airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend"
    AIRFLOW__SECRETS__BACKEND_KWARGS         = jsonencode({ connections_prefix = "${var.project_name}/connections", variables_prefix = "${var.project_name}/variables", config_prefix = null })
    AIRFLOW__METRICS__STATSD_ON              = "False"
    AIRFLOW_ECS_SQS_QUEUE_URL                = aws_sqs_queue.celery.url
    AIRFLOW_ECS_CLUSTER                      = var.project_name
    AWS_DEFAULT_REGION                       = data.aws_region.current.id
    AWS_REGION                               = data.aws_region.current.id

    # SQS caps a message's visibility at 12 h; Airflow's default for sqs:// is 24 h (and a
    # warning at every start). One value for Airflow's option and our Celery config.
    AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT = tostring(local.sqs_visibility_timeout)
    AIRFLOW_ECS_SQS_VISIBILITY_TIMEOUT                           = tostring(local.sqs_visibility_timeout)

    # Where the api-server reads a running or deferred task's log: the worker's and the
    # triggerer's log servers, on the ports the task security group admits (network.tf).
    AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT  = tostring(local.log_server_ports.worker)
    AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT = tostring(local.log_server_ports.triggerer)
  })

  airflow_secrets = {
    AIRFLOW__CORE__FERNET_KEY           = local.secret_arns["fernet_key"]
    AIRFLOW__API_AUTH__JWT_SECRET       = local.secret_arns["jwt_secret"]
    AIRFLOW__API__SECRET_KEY            = local.secret_arns["api_secret_key"]
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN = local.secret_arns["db_connection"]
    AIRFLOW__CELERY__RESULT_BACKEND     = local.secret_arns["celery_result_backend"]
  }

  # Where each service runs: public subnets with public IPs (default) or private behind NAT.
  task_subnet_ids  = local.private_mode ? aws_subnet.private[*].id : aws_subnet.public[*].id
  assign_public_ip = !local.private_mode

  common_service = {
    cluster_arn        = aws_ecs_cluster.main.arn
    project_name       = var.project_name
    image              = var.image
    environment        = local.airflow_environment
    secrets            = local.airflow_secrets
    execution_role_arn = aws_iam_role.execution.arn
    task_role_arn      = aws_iam_role.task.arn
    subnet_ids         = local.task_subnet_ids
    security_group_ids = [aws_security_group.tasks.id]
    assign_public_ip   = local.assign_public_ip
    region             = data.aws_region.current.id
    cpu_architecture   = var.cpu_architecture
  }
}
