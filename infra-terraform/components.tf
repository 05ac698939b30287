# Where each Airflow component runs, by topology (sizes and their sources: README.md).
#
# compact (default): the api-server and the workers are services of their own; the light
#   components (scheduler, dag-processor, triggerer, metrics publisher) are containers of
#   ONE task, the "core" service, sized together. One task, one public IP, one bill line.
# ha: every component its own service; two schedulers and two api-servers (Airflow runs
#   several of each side by side), one dag-processor, one triggerer, one metrics publisher.
#
# The outputs (outputs.tf) map each component to its service, container and log group:
# the CLI addresses components by name through that map, whatever the topology.
locals {
  compact = var.topology == "compact"

  # The metrics publisher: counts running + queued task instances in the metadata DB and
  # publishes DesiredWorkers = ceil((running + queued) / tasks_per_worker), clamped to
  # min_workers..max_workers, every metrics_period_seconds (autoscaling.tf follows it).
  light_containers = {
    "scheduler"     = { name = "scheduler", command = ["scheduler"], log_group = local.log_group_name["scheduler"], environment = {} }
    "dag-processor" = { name = "dag-processor", command = ["dag-processor"], log_group = local.log_group_name["dag-processor"], environment = {} }
    "triggerer"     = { name = "triggerer", command = ["triggerer"], log_group = local.log_group_name["triggerer"], environment = {} }
    "metrics" = {
      name      = "metrics"
      command   = ["python", "-m", "airflow_ecs.metrics_publisher"]
      log_group = local.log_group_name["metrics"]
      environment = {
        AIRFLOW_ECS_METRICS_NAMESPACE = local.metric_namespace
        AIRFLOW_ECS_TASKS_PER_WORKER  = tostring(var.tasks_per_worker)
        AIRFLOW_ECS_MIN_WORKERS       = tostring(var.min_workers)
        AIRFLOW_ECS_MAX_WORKERS       = tostring(var.max_workers)
        AIRFLOW_ECS_METRICS_PERIOD    = tostring(var.metrics_period_seconds)
      }
    }
  }

  # Service (name suffix) => the components it runs, its task size, and its count.
  light_services = local.compact ? {
    "core" = { components = ["scheduler", "dag-processor", "triggerer", "metrics"], cpu = 1024, memory = 2048, count = 1 }
    } : {
    "scheduler"     = { components = ["scheduler"], cpu = 512, memory = 1024, count = 2 }
    "dag-processor" = { components = ["dag-processor"], cpu = 512, memory = 1024, count = 1 }
    "triggerer"     = { components = ["triggerer"], cpu = 512, memory = 1024, count = 1 }
    "metrics"       = { components = ["metrics"], cpu = 256, memory = 512, count = 1 }
  }

  api_server_size = local.compact ? { cpu = 512, memory = 1024, count = 1 } : { cpu = 512, memory = 1024, count = 2 }
}

module "light" {
  source        = "./modules/airflow-service"
  for_each      = local.light_services
  name          = each.key
  containers    = [for c in each.value.components : local.light_containers[c]]
  cpu           = each.value.cpu
  memory        = each.value.memory
  desired_count = each.value.count

  common = local.common_service

  # A capacity provider must be on the cluster before a service's strategy names it.
  depends_on = [aws_ecs_cluster_capacity_providers.main]
}

# Deployments made before topologies existed had one module per component.
moved {
  from = module.scheduler
  to   = module.light["scheduler"]
}
moved {
  from = module.dag_processor
  to   = module.light["dag-processor"]
}
moved {
  from = module.triggerer
  to   = module.light["triggerer"]
}
moved {
  from = module.metrics
  to   = module.light["metrics"]
}
