output "role_arn" {
  description = "Set it as the GitHub variable AIRFLOW_ECS_DEPLOY_ROLE_ARN (repository or environment)."
  value       = aws_iam_role.deploy.arn
}

output "role_name" {
  value = aws_iam_role.deploy.name
}

output "oidc_provider_arn" {
  value = local.oidc_provider_arn
}
