# The whole contract with the airflow-ecs CLI: it reads only this output
# (`terraform output -json`), and test/infra pins its shape. ARNs only, never secret values.
locals {
  # Each service, with the components it runs and the bounds of its running count:
  # workers follow the autoscaling range, the others run 0 (scaled down or asleep) up to
  # their topology's count.
  service_modules = merge(
    { "api-server" = { m = module.api_server, min = 0, max = local.api_server_size.count } },
    { for key, m in module.light : key => { m = m, min = 0, max = local.light_services[key].count } },
    { "worker" = { m = module.worker, min = var.min_workers, max = var.max_workers } },
  )
  # Component => the service it runs in (its container has the component's name).
  component_service = merge(
    { "api-server" = "api-server", "worker" = "worker" },
    merge([for key, svc in local.light_services : { for c in svc.components : c => key }]...),
  )
}

output "airflow_ecs" {
  description = "Everything airflow-ecs needs to drive this deployment."
  value = {
    schema_version   = 1
    project          = var.project_name
    region           = data.aws_region.current.id
    account_id       = data.aws_caller_identity.current.account_id
    cluster          = { name = aws_ecs_cluster.main.name, arn = aws_ecs_cluster.main.arn }
    topology         = var.topology
    cpu_architecture = var.cpu_architecture
    # Every component by name: its service, its container in that service's task, its
    # logs, and the service's size and bounds. shared_with: the other components of
    # the same service (compact's core), which scale, sleep and restart with it.
    components = { for name, key in local.component_service : name => {
      service                    = local.service_modules[key].m.service_name
      container                  = name
      shared_with                = sort([for other, k in local.component_service : other if k == key && other != name])
      log_group                  = local.log_group_name[name]
      log_stream_prefix          = "ecs"
      cpu                        = local.service_modules[key].m.cpu
      memory                     = local.service_modules[key].m.memory
      desired_count              = local.service_modules[key].m.desired_count
      min_count                  = local.service_modules[key].min
      max_count                  = local.service_modules[key].max
      capacity_provider_strategy = local.service_modules[key].m.capacity_provider_strategy
    } }
    standalone = {
      task_definition_family = aws_ecs_task_definition.standalone.family
      container              = local.standalone_container
      log_group              = aws_cloudwatch_log_group.airflow["standalone"].name
      log_stream_prefix      = "ecs"
      subnets                = local.task_subnet_ids
      security_groups        = [aws_security_group.tasks.id]
      assign_public_ip       = local.assign_public_ip
      capacity_provider      = "FARGATE"
      cpu                    = local.standalone_cpu
      memory                 = local.standalone_memory
    }
    web = {
      url          = local.web_url
      alb_dns_name = aws_lb.web.dns_name
      alb_arn      = aws_lb.web.arn
      https        = local.https
    }
    ecr = {
      repository_url  = aws_ecr_repository.airflow.repository_url
      repository_name = aws_ecr_repository.airflow.name
    }
    bucket = aws_s3_bucket.airflow.bucket
    dags = {
      source           = var.dags_source
      bucket           = aws_s3_bucket.airflow.bucket
      prefix           = "dags"
      live_prefix      = local.dags_bucket_prefix
      bundle_name      = "s3-dags"
      refresh_interval = var.dags_refresh_interval
    }
    database = {
      identifier        = aws_db_instance.metadata.identifier
      instance_class    = aws_db_instance.metadata.instance_class
      allocated_storage = aws_db_instance.metadata.allocated_storage
      engine_version    = var.db_engine_version
      multi_az          = aws_db_instance.metadata.multi_az
    }
    secrets = local.secret_arns
    worker_autoscaling = {
      min              = var.min_workers
      max              = var.max_workers
      tasks_per_worker = var.tasks_per_worker
      metric_namespace = local.metric_namespace
      metric_name      = "DesiredWorkers"
      policy_name      = aws_appautoscaling_policy.worker.name
    }
    schedules = {
      enabled         = local.schedule_enabled
      preset          = var.scale_to_zero_preset
      scale_down_cron = local.scale_down_cron
      scale_up_cron   = local.scale_up_cron
      timezone        = var.schedule_timezone
    }
    network = {
      mode        = var.task_subnets
      vpc_id      = aws_vpc.main.id
      nat_gateway = local.private_mode
    }
  }
}
