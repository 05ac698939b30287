terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7"
    }
  }
}

# The deployment's region (var.region, else the standard AWS chain: AWS_REGION, the profile):
# every regional ARN the role is granted is in this region only.
provider "aws" {
  region = var.region
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
