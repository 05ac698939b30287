variable "project_name" {
  description = "Name of this deployment: the ECS cluster, the prefix of every resource. Two deployments in one account need two names."
  type        = string
  default     = "airflow"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project_name))
    error_message = "project_name: 2-21 lower-case letters, digits or '-', starting with a letter."
  }
}

variable "image" {
  description = "Airflow image for every component (airflow-ecs build pushes ours to the ECR repository)."
  type        = string
  default     = "apache/airflow:slim-3.3.2-python3.11"
}

variable "dags_source" {
  description = "Where Airflow reads DAGs: \"bundle\" (an S3 DAG bundle under dags/ in the project's bucket, published by `airflow-ecs dags deploy`) or \"image\" (the dags/ folder baked into the image)."
  type        = string
  default     = "bundle"
  validation {
    condition     = contains(["bundle", "image"], var.dags_source)
    error_message = "dags_source is \"bundle\" or \"image\"."
  }
}

variable "dags_refresh_interval" {
  description = "Seconds between two syncs of the S3 DAG bundle by the dag-processor (a published change is parsed within about this long)."
  type        = number
  default     = 30
}

variable "allowed_cidrs" {
  description = "CIDR blocks that may reach the web UI through the load balancer. Empty: closed to everyone."
  type        = list(string)
  default     = []
}

variable "certificate_arn" {
  description = "ACM certificate for HTTPS on 443 (port 80 then redirects). Null: plain HTTP on 80."
  type        = string
  default     = null
}

variable "domain_name" {
  description = "Your own host name for the web UI (e.g. airflow.example.com), served over HTTPS: certificate_arn for it, or your own TLS proxy in front, and a DNS record to the load balancer. Airflow's base_url and the output's web.url become https://<domain_name>. Null: the load balancer's DNS name."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || (length(coalesce(var.domain_name, "-")) <= 253 && can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", var.domain_name)))
    error_message = "domain_name: a lower-case host name such as airflow.example.com, without scheme, port, path or trailing dot."
  }
}

variable "task_subnets" {
  description = "Where tasks run: \"public\" (public IPs, no inbound allowed; no NAT gateway to pay for) or \"private\" (behind a NAT gateway)."
  type        = string
  default     = "public"

  validation {
    condition     = contains(["public", "private"], var.task_subnets)
    error_message = "task_subnets must be \"public\" or \"private\"."
  }
}

variable "vpc_cidr" {
  description = "CIDR of the VPC; subnets are carved from it."
  type        = string
  default     = "10.42.0.0/16"
}

variable "min_workers" {
  description = "Fewest Celery workers (0: scale to zero when idle)."
  type        = number
  default     = 0
}

variable "max_workers" {
  description = "Most Celery workers."
  type        = number
  default     = 10

  validation {
    condition     = var.max_workers >= 1 && var.max_workers <= 50
    error_message = "max_workers must be between 1 and 50."
  }
}

variable "tasks_per_worker" {
  description = "Task instances one worker runs at once (Celery worker_concurrency); the autoscaling formula divides by it."
  type        = number
  default     = 16
}

variable "metrics_period_seconds" {
  description = "How often the metrics publisher counts queued and running task instances and publishes DesiredWorkers (1-60 s)."
  type        = number
  default     = 60
  validation {
    condition     = var.metrics_period_seconds >= 1 && var.metrics_period_seconds <= 60
    error_message = "metrics_period_seconds must be between 1 and 60."
  }
}

variable "worker_spot_weight" {
  description = "Share of workers on FARGATE_SPOT versus FARGATE (weight out of worker_spot_weight + 1)."
  type        = number
  default     = 4
}

variable "log_retention_days" {
  description = "Retention of every CloudWatch log group."
  type        = number
  default     = 30
}

variable "db_instance_class" {
  type        = string
  default     = "db.t4g.micro"
  description = "RDS instance class of the metadata database."
}

variable "db_allocated_storage" {
  type        = number
  default     = 20
  description = "RDS storage in GiB."
}

variable "db_engine_version" {
  type        = string
  default     = "17"
  description = "PostgreSQL major version."
}

variable "db_multi_az" {
  type        = bool
  default     = false
  description = "Standby in a second AZ (doubles the database cost)."
}

variable "db_deletion_protection" {
  type        = bool
  default     = false
  description = "Refuse to delete the database. Off by default so `airflow-ecs destroy` works; turn it on for production."
}

variable "db_backup_retention_days" {
  type        = number
  default     = 7
  description = "Days of automated RDS backups (0 turns them off)."
}

variable "db_skip_final_snapshot" {
  type        = bool
  default     = false
  description = "Delete the database without a final snapshot on destroy (`airflow-ecs destroy --skip-final-snapshot`). Off: destroy keeps one."
}

variable "db_final_snapshot_identifier" {
  type        = string
  default     = null
  description = "Name of the final snapshot destroy leaves (null: <project_name>-final). `airflow-ecs destroy` sets a unique <project>-<workspace>-final-<YYYYMMDD-HHMM> just before destroying."
}

variable "db_snapshot_identifier" {
  type        = string
  default     = null
  description = "Create the database from this RDS snapshot (`airflow-ecs deploy --restore-snapshot NAME`). Read only when the database is created: a later change is ignored, never a replacement."
}

variable "bucket_log_expiry_days" {
  type        = number
  default     = 90
  description = "Days after which task logs and standalone-task logs in S3 expire."
}

variable "force_destroy" {
  type        = bool
  default     = false
  description = "Let destroy delete the S3 bucket with its logs and the ECR repository with its images. Off: destroy stops at those two while they hold anything (apply with true first to tear down everything)."
}

variable "ecr_keep_images" {
  type        = number
  default     = 20
  description = "How many images the ECR lifecycle policy keeps."
}

variable "secret_recovery_window_days" {
  type        = number
  default     = 7
  description = "Days Secrets Manager keeps a deleted secret (0: delete at once)."
}

variable "scale_to_zero_enabled" {
  type        = bool
  default     = false
  description = "Scale every service (api-server, scheduler and the other light components, workers) to zero on a schedule (nights, weekends)."
}

variable "scale_down_cron" {
  type        = string
  default     = "cron(0 20 ? * MON-FRI *)"
  description = "When to scale the services to zero (AWS cron, in schedule_timezone)."
}

variable "scale_up_cron" {
  type        = string
  default     = "cron(0 7 ? * MON-FRI *)"
  description = "When to bring them back (AWS cron, in schedule_timezone)."
}

variable "schedule_timezone" {
  type        = string
  default     = "UTC"
  description = "IANA time zone of the scale-to-zero schedule."
}

variable "container_insights" {
  type        = bool
  default     = false
  description = "ECS Container Insights (extra CloudWatch cost)."
}

variable "cpu_architecture" {
  type        = string
  default     = "ARM64"
  description = "CPU architecture of every task: \"ARM64\" (Graviton, about 20% cheaper on Fargate) or \"X86_64\". The image must be built for it (`airflow-ecs build` follows the deployment)."
  validation {
    condition     = contains(["ARM64", "X86_64"], var.cpu_architecture)
    error_message = "cpu_architecture is \"ARM64\" (the default) or \"X86_64\"."
  }
}

variable "topology" {
  type        = string
  default     = "compact"
  description = "\"compact\": scheduler, dag-processor, triggerer and the metrics publisher as containers of one task (the core service), beside the api-server and the workers. \"ha\": every component its own service, two schedulers and two api-servers."
  validation {
    condition     = contains(["compact", "ha"], var.topology)
    error_message = "topology is \"compact\" (the default) or \"ha\"."
  }
}

variable "scale_to_zero_preset" {
  type        = string
  default     = null
  description = "\"office-hours\": every service (api-server, scheduler and the rest, workers) runs 07:00-19:00 Monday to Friday in schedule_timezone and sleeps otherwise; it sets the scale-to-zero crons and turns the schedule on. Null: scale_to_zero_enabled and the crons as given."
  validation {
    condition     = var.scale_to_zero_preset == null || contains(["office-hours"], coalesce(var.scale_to_zero_preset, "-"))
    error_message = "scale_to_zero_preset is \"office-hours\" or null."
  }
}
