terraform {
  # 1.10: the S3 backend's own lock file (use_lockfile), which airflow-ecs uses for the state in
  # the account; no DynamoDB table. The backend block is written by the CLI (airflow-ecs.backend.tf).
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7"
    }
  }
}

# Region and credentials come from the standard AWS chain (AWS_REGION, AWS_PROFILE, ...);
# AWS_ENDPOINT_URL points the provider elsewhere (the tests use a local moto server).
provider "aws" {
  default_tags {
    tags = {
      "airflow-ecs:project" = var.project_name
      "managed-by"          = "airflow-ecs"
    }
  }
}

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_availability_zones" "available" {
  state = "available"
}
