# One ECS service: its task definition (one container per Airflow component it runs, each
# logging to CloudWatch as "ecs/<container>/<task id>") and its Fargate service with ECS Exec on.
terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7"
    }
  }
}

variable "name" { type = string }

# What every component shares: cluster, image, Airflow configuration, roles, network, CPU architecture.
variable "common" {
  type = object({
    cluster_arn        = string
    project_name       = string
    image              = string
    environment        = map(string)
    secrets            = map(string)
    execution_role_arn = string
    task_role_arn      = string
    subnet_ids         = list(string)
    security_group_ids = list(string)
    assign_public_ip   = bool
    region             = string
    cpu_architecture   = string
  })
}

# The task's containers: one per Airflow component it runs (the compact topology puts
# several light components in one task, sized together by cpu and memory below). Each
# logs to its own component's log group as "ecs/<container>/<task id>".
variable "containers" {
  type = list(object({
    name                 = string
    command              = list(string)
    log_group            = string
    environment          = optional(map(string), {})
    stop_timeout         = optional(number, 30)
    port                 = optional(number)
    health_check_command = optional(list(string))
  }))
}
variable "cpu" { type = number }
variable "memory" { type = number }
variable "desired_count" { type = number }
variable "capacity_provider_strategy" {
  type    = list(object({ capacity_provider = string, weight = number, base = number }))
  default = [{ capacity_provider = "FARGATE", weight = 1, base = 0 }]
}
variable "target_group_arn" {
  type    = string
  default = null
}
variable "service_registry_arn" {
  type    = string
  default = null
}

locals {
  container_definitions = [for c in var.containers : { for k, v in {
    name            = c.name
    image           = var.common.image
    essential       = true
    command         = c.command
    stopTimeout     = c.stop_timeout
    environment     = [for k in sort(keys(merge(var.common.environment, c.environment))) : { name = k, value = merge(var.common.environment, c.environment)[k] }]
    secrets         = [for k in sort(keys(var.common.secrets)) : { name = k, valueFrom = var.common.secrets[k] }]
    portMappings    = c.port == null ? [] : [{ containerPort = c.port, protocol = "tcp", name = "http" }]
    linuxParameters = { initProcessEnabled = true } # ECS Exec works best with an init process
    healthCheck     = c.health_check_command == null ? null : { command = c.health_check_command, interval = 30, timeout = 10, retries = 5, startPeriod = 120 }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = c.log_group
        awslogs-region        = var.common.region
        awslogs-stream-prefix = "ecs"
      }
    }
  } : k => v if v != null }]
  # The container the load balancer sends to: the one with a port.
  port_container = one([for c in var.containers : c if c.port != null])
}

resource "aws_ecs_task_definition" "this" {
  family                   = "${var.common.project_name}-${var.name}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  execution_role_arn       = var.common.execution_role_arn
  task_role_arn            = var.common.task_role_arn
  container_definitions    = jsonencode(local.container_definitions)

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.common.cpu_architecture
  }
}

resource "aws_ecs_service" "this" {
  name                   = "${var.common.project_name}-${var.name}"
  cluster                = var.common.cluster_arn
  task_definition        = aws_ecs_task_definition.this.arn
  desired_count          = var.desired_count
  enable_execute_command = true
  propagate_tags         = "SERVICE"
  wait_for_steady_state  = false

  dynamic "capacity_provider_strategy" {
    for_each = var.capacity_provider_strategy
    content {
      capacity_provider = capacity_provider_strategy.value.capacity_provider
      weight            = capacity_provider_strategy.value.weight
      base              = capacity_provider_strategy.value.base
    }
  }

  network_configuration {
    subnets          = var.common.subnet_ids
    security_groups  = var.common.security_group_ids
    assign_public_ip = var.common.assign_public_ip
  }

  dynamic "load_balancer" {
    for_each = var.target_group_arn == null ? [] : [1]
    content {
      target_group_arn = var.target_group_arn
      container_name   = local.port_container.name
      container_port   = local.port_container.port
    }
  }

  dynamic "service_registries" {
    for_each = var.service_registry_arn == null ? [] : [1]
    content {
      registry_arn = var.service_registry_arn
    }
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # `airflow-ecs scale`, scheduled actions and the worker autoscaling policy own the
  # running count after creation; an apply must not undo them.
  lifecycle {
    ignore_changes = [desired_count]
  }
}

output "service_name" { value = aws_ecs_service.this.name }
output "task_definition_family" { value = aws_ecs_task_definition.this.family }
output "containers" { value = [for c in var.containers : c.name] }
output "cpu" { value = var.cpu }
output "memory" { value = var.memory }
output "desired_count" { value = var.desired_count }
output "capacity_provider_strategy" { value = var.capacity_provider_strategy }
