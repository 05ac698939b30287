# Every secret is generated inside AWS (Secrets Manager's GetRandomPassword) and lives
# in Secrets Manager. Containers get them through `secrets` (valueFrom ARNs); no value
# is in code, in a default or in an output. ignore_changes keeps the first value: the
# random password data source answers anew on every plan.
locals {
  generated_secrets = {
    fernet_key     = "Fernet key that encrypts connections and variables in the metadata DB"
    jwt_secret     = "[api_auth] jwt_secret shared by every Airflow component"
    api_secret_key = "[api] secret_key shared by every Airflow component"
    admin_password = "Password of the Airflow admin user created by airflow-ecs deploy"
    db_password    = "Master password of the metadata database"
  }
}

data "aws_secretsmanager_random_password" "generated" {
  for_each            = local.generated_secrets
  password_length     = each.key == "fernet_key" ? 32 : 40
  exclude_punctuation = true
  include_space       = false
}

resource "aws_secretsmanager_secret" "generated" {
  for_each                = local.generated_secrets
  name_prefix             = "${var.project_name}/${replace(each.key, "_", "-")}-"
  description             = each.value
  recovery_window_in_days = var.secret_recovery_window_days
}

resource "aws_secretsmanager_secret_version" "generated" {
  for_each  = local.generated_secrets
  secret_id = aws_secretsmanager_secret.generated[each.key].id
  # A Fernet key is 32 bytes, url-safe base64: the 32 random characters, encoded.
  secret_string = (each.key == "fernet_key"
    ? replace(replace(base64encode(data.aws_secretsmanager_random_password.generated[each.key].random_password), "+", "-"), "/", "_")
  : data.aws_secretsmanager_random_password.generated[each.key].random_password)

  lifecycle {
    ignore_changes = [secret_string]
  }
}

# Connection strings that embed the database password: one database, two URL schemes.
locals {
  db_location = "${aws_db_instance.metadata.username}:${urlencode(local.db_password)}@${aws_db_instance.metadata.address}:${aws_db_instance.metadata.port}/${aws_db_instance.metadata.db_name}"
  db_urls = {
    db_connection         = { scheme = "postgresql+psycopg2", description = "SQLAlchemy URL of the metadata database" }
    celery_result_backend = { scheme = "db+postgresql", description = "Celery result backend URL (the metadata database)" }
  }
}

resource "aws_secretsmanager_secret" "db_url" {
  for_each                = local.db_urls
  name_prefix             = "${var.project_name}/${replace(each.key, "_", "-")}-"
  description             = each.value.description
  recovery_window_in_days = var.secret_recovery_window_days
}

resource "aws_secretsmanager_secret_version" "db_url" {
  for_each      = local.db_urls
  secret_id     = aws_secretsmanager_secret.db_url[each.key].id
  secret_string = "${each.value.scheme}://${local.db_location}"
}

locals {
  db_password = aws_secretsmanager_secret_version.generated["db_password"].secret_string
  secret_arns = merge(
    { for k, s in aws_secretsmanager_secret.generated : k => s.arn },
    { for k, s in aws_secretsmanager_secret.db_url : k => s.arn },
  )
}
