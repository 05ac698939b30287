# The role a GitHub Actions workflow assumes through OpenID Connect to run
# `airflow-ecs deploy --yes --env ENV`: Terraform on the packaged module (infra-terraform/),
# the image push to ECR, the migration task, the DAG bundle and the release records.
#
# Least privilege: every action is listed (a few read-only Describe*/GetBucket* groups where a
# service has many reads), and resources are scoped to the deployment's names wherever the
# service names its resources: the deployment calls everything PROJECT or PROJECT-* (PROJECT/*
# for secrets, /airflow-ecs/PROJECT/* for log groups). Actions AWS authorizes only on "*"
# (Describe*, List*, a few creates) are granted on "*", never the action "*".
# What stays wide, and why, is in README.md beside this file.

locals {
  p       = data.aws_partition.current.partition
  region  = data.aws_region.current.id
  account = data.aws_caller_identity.current.account_id
  project = var.project_name

  role_name    = coalesce(var.role_name, "airflow-ecs-deploy-${var.project_name}")
  state_bucket = coalesce(var.state_bucket, "airflow-ecs-state-${local.account}-${local.region}")

  oidc_host         = "token.actions.githubusercontent.com"
  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : data.aws_iam_openid_connect_provider.github[0].arn
  # A job without `environment:` is identified by its branch; a job with one, by the environment.
  subjects = concat(
    ["repo:${var.github_repository}:ref:refs/heads/${var.branch}"],
    [for e in var.environments : "repo:${var.github_repository}:environment:${e}"],
  )

  # infra-terraform names the load balancer after the project's first six letters and digits
  # (aws_lb name_prefix), and the target group "api...".
  lb_prefix = substr(replace(var.project_name, "-", ""), 0, 6)

  arn = {
    ec2        = "arn:${local.p}:ec2:${local.region}:${local.account}"
    elb        = "arn:${local.p}:elasticloadbalancing:${local.region}:${local.account}"
    ecs        = "arn:${local.p}:ecs:${local.region}:${local.account}"
    logs       = "arn:${local.p}:logs:${local.region}:${local.account}"
    rds        = "arn:${local.p}:rds:${local.region}:${local.account}"
    ecr        = "arn:${local.p}:ecr:${local.region}:${local.account}"
    sqs        = "arn:${local.p}:sqs:${local.region}:${local.account}"
    secrets    = "arn:${local.p}:secretsmanager:${local.region}:${local.account}"
    firehose   = "arn:${local.p}:firehose:${local.region}:${local.account}"
    cloudwatch = "arn:${local.p}:cloudwatch:${local.region}:${local.account}"
    discovery  = "arn:${local.p}:servicediscovery:${local.region}:${local.account}"
    iam        = "arn:${local.p}:iam::${local.account}"
  }
}

# ---- Who may assume the role -------------------------------------------------------------

resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_oidc_provider ? 1 : 0
  url            = "https://${local.oidc_host}"
  client_id_list = ["sts.amazonaws.com"]
  # No thumbprint_list: AWS verifies GitHub's certificate through its own CA library.
}

data "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 0 : 1
  url   = "https://${local.oidc_host}"
}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "GitHubActions"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_host}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "${local.oidc_host}:sub"
      values   = local.subjects
    }
  }
}

resource "aws_iam_role" "deploy" {
  name                 = local.role_name
  description          = "airflow-ecs deploy of ${var.project_name} from GitHub Actions (${var.github_repository})"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = var.max_session_duration

  lifecycle {
    precondition {
      # The role may manage roles named PROJECT-*: were it one of them, it could widen itself.
      condition     = !startswith(local.role_name, "${var.project_name}-")
      error_message = "role_name must not start with \"${var.project_name}-\": the role manages the deployment's roles (${var.project_name}-*) and must not be one of them."
    }
  }
}

# ---- What it may do: three managed policies (each under IAM's 6,144-character limit) ----

# Network: the VPC, subnets, gateways, routes, security groups, the load balancer, and the
# private DNS namespace (Cloud Map, on Route 53) the components find the API server by.
data "aws_iam_policy_document" "network" {
  statement {
    sid = "NetworkRead"
    actions = [
      "ec2:Describe*",
      "elasticloadbalancing:Describe*",
      "route53:ListHostedZonesByName",
      "servicediscovery:GetOperation",
      "servicediscovery:ListNamespaces",
    ]
    resources = ["*"]
  }

  # EC2 resources are named by id, not by the project: these are limited to the account and
  # region (run each deployment in an account of its own for a harder boundary).
  statement {
    sid = "Network"
    actions = [
      "ec2:CreateVpc",
      "ec2:DeleteVpc",
      "ec2:ModifyVpcAttribute",
      "ec2:CreateSubnet",
      "ec2:DeleteSubnet",
      "ec2:ModifySubnetAttribute",
      "ec2:CreateInternetGateway",
      "ec2:DeleteInternetGateway",
      "ec2:AttachInternetGateway",
      "ec2:DetachInternetGateway",
      "ec2:AllocateAddress",
      "ec2:ReleaseAddress",
      "ec2:DisassociateAddress",
      "ec2:CreateNatGateway",
      "ec2:DeleteNatGateway",
      "ec2:CreateRouteTable",
      "ec2:DeleteRouteTable",
      "ec2:CreateRoute",
      "ec2:ReplaceRoute",
      "ec2:DeleteRoute",
      "ec2:AssociateRouteTable",
      "ec2:DisassociateRouteTable",
      "ec2:ReplaceRouteTableAssociation",
      "ec2:CreateSecurityGroup",
      "ec2:DeleteSecurityGroup",
      "ec2:AuthorizeSecurityGroupIngress",
      "ec2:AuthorizeSecurityGroupEgress",
      "ec2:RevokeSecurityGroupIngress",
      "ec2:RevokeSecurityGroupEgress",
      "ec2:ModifySecurityGroupRules",
      "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
      "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
      "ec2:CreateTags",
      "ec2:DeleteTags",
    ]
    resources = ["${local.arn.ec2}:*"]
  }

  statement {
    sid = "LoadBalancer"
    actions = [
      "elasticloadbalancing:CreateLoadBalancer",
      "elasticloadbalancing:DeleteLoadBalancer",
      "elasticloadbalancing:ModifyLoadBalancerAttributes",
      "elasticloadbalancing:SetSecurityGroups",
      "elasticloadbalancing:SetSubnets",
      "elasticloadbalancing:CreateTargetGroup",
      "elasticloadbalancing:DeleteTargetGroup",
      "elasticloadbalancing:ModifyTargetGroup",
      "elasticloadbalancing:ModifyTargetGroupAttributes",
      "elasticloadbalancing:CreateListener",
      "elasticloadbalancing:DeleteListener",
      "elasticloadbalancing:ModifyListener",
      "elasticloadbalancing:ModifyListenerAttributes",
      "elasticloadbalancing:AddTags",
      "elasticloadbalancing:RemoveTags",
    ]
    resources = [
      "${local.arn.elb}:loadbalancer/app/${local.lb_prefix}*/*",
      "${local.arn.elb}:listener/app/${local.lb_prefix}*/*",
      "${local.arn.elb}:listener-rule/app/${local.lb_prefix}*/*",
      "${local.arn.elb}:targetgroup/api*/*",
    ]
  }

  # Creating a namespace names no existing resource; the rest acts on this account's namespaces
  # and services (Cloud Map names them by id).
  statement {
    sid       = "ServiceDiscoveryCreate"
    actions   = ["servicediscovery:CreatePrivateDnsNamespace", "route53:CreateHostedZone"]
    resources = ["*"]
  }

  statement {
    sid = "ServiceDiscovery"
    actions = [
      "servicediscovery:GetNamespace",
      "servicediscovery:UpdatePrivateDnsNamespace",
      "servicediscovery:DeleteNamespace",
      "servicediscovery:CreateService",
      "servicediscovery:GetService",
      "servicediscovery:UpdateService",
      "servicediscovery:DeleteService",
      "servicediscovery:TagResource",
      "servicediscovery:UntagResource",
      "servicediscovery:ListTagsForResource",
    ]
    resources = ["${local.arn.discovery}:*"]
  }

  statement {
    sid       = "PrivateHostedZone"
    actions   = ["route53:GetHostedZone", "route53:DeleteHostedZone"]
    resources = ["arn:${local.p}:route53:::hostedzone/*"]
  }
}

# Compute: the ECS cluster, services, task definitions and one-off tasks, their scaling,
# alarm and log groups, the standalone-log stream, and the IAM roles the tasks run as.
data "aws_iam_policy_document" "compute" {
  statement {
    sid = "ComputeRead"
    actions = [
      "ecs:DescribeTaskDefinition",
      "ecs:ListTasks",
      "ecs:ListServices",
      "application-autoscaling:DescribeScalableTargets",
      "application-autoscaling:DescribeScalingPolicies",
      "application-autoscaling:DescribeScheduledActions",
      "cloudwatch:DescribeAlarms",
      "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }

  # ECS authorizes these only on "*" (a task definition's ARN does not exist before it is registered).
  statement {
    sid       = "EcsUnscoped"
    actions   = ["ecs:CreateCluster", "ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition"]
    resources = ["*"]
  }

  statement {
    sid = "Ecs"
    actions = [
      "ecs:DescribeClusters",
      "ecs:UpdateCluster",
      "ecs:UpdateClusterSettings",
      "ecs:PutClusterCapacityProviders",
      "ecs:DeleteCluster",
      "ecs:CreateService",
      "ecs:DescribeServices",
      "ecs:UpdateService",
      "ecs:DeleteService",
      "ecs:RunTask",
      "ecs:DescribeTasks",
      "ecs:StopTask",
      "ecs:TagResource",
      "ecs:UntagResource",
      "ecs:ListTagsForResource",
    ]
    resources = [
      "${local.arn.ecs}:cluster/${local.project}",
      "${local.arn.ecs}:service/${local.project}/*",
      "${local.arn.ecs}:task/${local.project}/*",
      "${local.arn.ecs}:task-definition/${local.project}-*:*",
    ]
  }

  # Scalable targets, their policies and scheduled actions are named by id, and registering one
  # names no existing resource: "*".
  statement {
    sid = "Scaling"
    actions = [
      "application-autoscaling:RegisterScalableTarget",
      "application-autoscaling:DeregisterScalableTarget",
      "application-autoscaling:PutScalingPolicy",
      "application-autoscaling:DeleteScalingPolicy",
      "application-autoscaling:PutScheduledAction",
      "application-autoscaling:DeleteScheduledAction",
      "application-autoscaling:TagResource",
      "application-autoscaling:UntagResource",
      "application-autoscaling:ListTagsForResource",
    ]
    resources = ["*"]
  }

  statement {
    sid = "Alarm"
    actions = [
      "cloudwatch:PutMetricAlarm",
      "cloudwatch:DeleteAlarms",
      "cloudwatch:TagResource",
      "cloudwatch:UntagResource",
      "cloudwatch:ListTagsForResource",
    ]
    resources = ["${local.arn.cloudwatch}:alarm:${local.project}-*"]
  }

  statement {
    sid = "LogGroups"
    actions = [
      "logs:CreateLogGroup",
      "logs:DeleteLogGroup",
      "logs:PutRetentionPolicy",
      "logs:DeleteRetentionPolicy",
      "logs:TagResource",
      "logs:UntagResource",
      "logs:ListTagsForResource",
      "logs:TagLogGroup",
      "logs:UntagLogGroup",
      "logs:ListTagsLogGroup",
      "logs:DescribeLogStreams",
      "logs:GetLogEvents",
      "logs:FilterLogEvents",
    ]
    resources = ["${local.arn.logs}:log-group:/airflow-ecs/${local.project}/*"]
  }

  statement {
    sid = "StandaloneLogStream"
    actions = [
      "firehose:CreateDeliveryStream",
      "firehose:DeleteDeliveryStream",
      "firehose:DescribeDeliveryStream",
      "firehose:UpdateDestination",
      "firehose:TagDeliveryStream",
      "firehose:UntagDeliveryStream",
      "firehose:ListTagsForDeliveryStream",
    ]
    resources = ["${local.arn.firehose}:deliverystream/${local.project}-*"]
  }

  statement {
    sid = "DeploymentRoles"
    actions = [
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:GetRole",
      "iam:UpdateRole",
      "iam:UpdateAssumeRolePolicy",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:ListRoleTags",
      "iam:PutRolePolicy",
      "iam:GetRolePolicy",
      "iam:DeleteRolePolicy",
      "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
    ]
    resources = ["${local.arn.iam}:role/${local.project}-*"]
  }

  # The only managed policy the deployment attaches: the execution role's.
  statement {
    sid       = "ExecutionRolePolicy"
    actions   = ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
    resources = ["${local.arn.iam}:role/${local.project}-*"]
    condition {
      test     = "ArnEquals"
      variable = "iam:PolicyARN"
      values   = ["arn:${local.p}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]
    }
  }

  statement {
    sid       = "PassDeploymentRoles"
    actions   = ["iam:PassRole"]
    resources = ["${local.arn.iam}:role/${local.project}-*"]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com", "firehose.amazonaws.com"]
    }
  }

  # A new account's first ECS service, load balancer, scalable target or database.
  statement {
    sid       = "ServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["${local.arn.iam}:role/aws-service-role/*"]
    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com", "ecs.application-autoscaling.amazonaws.com", "rds.amazonaws.com"]
    }
  }

  # Never itself, whatever its name.
  statement {
    sid    = "NotItself"
    effect = "Deny"
    actions = [
      "iam:AttachRolePolicy",
      "iam:DetachRolePolicy",
      "iam:PutRolePolicy",
      "iam:DeleteRolePolicy",
      "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole",
      "iam:DeleteRole",
      "iam:PutRolePermissionsBoundary",
      "iam:DeleteRolePermissionsBoundary",
      "iam:TagRole",
      "iam:UntagRole",
    ]
    resources = ["${local.arn.iam}:role/${local.role_name}"]
  }
}

# Data: the database and its snapshots, the secrets, the broker queue, the bucket (logs, DAG
# bundle, releases), the image repository, and the Terraform state with its lock files.
data "aws_iam_policy_document" "data" {
  statement {
    sid = "DataRead"
    actions = [
      "sts:GetCallerIdentity",
      "rds:DescribeDBInstances",
      "rds:DescribeDBSnapshots",
      "rds:DescribeDBSubnetGroups",
      "secretsmanager:GetRandomPassword",
      "ecr:GetAuthorizationToken",
    ]
    resources = ["*"]
  }

  statement {
    sid = "Database"
    actions = [
      "rds:CreateDBInstance",
      "rds:ModifyDBInstance",
      "rds:DeleteDBInstance",
      "rds:RestoreDBInstanceFromDBSnapshot",
      "rds:CreateDBSubnetGroup",
      "rds:ModifyDBSubnetGroup",
      "rds:DeleteDBSubnetGroup",
      "rds:CreateDBSnapshot",
      "rds:DeleteDBSnapshot",
      "rds:AddTagsToResource",
      "rds:RemoveTagsFromResource",
      "rds:ListTagsForResource",
    ]
    resources = [
      "${local.arn.rds}:db:${local.project}-*",
      "${local.arn.rds}:subgrp:${local.project}-*",
      "${local.arn.rds}:snapshot:${local.project}-*",
      # A new database uses the engine's default parameter and option groups.
      "${local.arn.rds}:pg:default.*",
      "${local.arn.rds}:og:default:*",
    ]
  }

  statement {
    sid = "Secrets"
    actions = [
      "secretsmanager:CreateSecret",
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetSecretValue",
      "secretsmanager:PutSecretValue",
      "secretsmanager:UpdateSecret",
      "secretsmanager:DeleteSecret",
      "secretsmanager:GetResourcePolicy",
      "secretsmanager:ListSecretVersionIds",
      "secretsmanager:TagResource",
      "secretsmanager:UntagResource",
    ]
    resources = ["${local.arn.secrets}:secret:${local.project}/*"]
  }

  statement {
    sid = "Broker"
    actions = [
      "sqs:CreateQueue",
      "sqs:DeleteQueue",
      "sqs:GetQueueUrl",
      "sqs:GetQueueAttributes",
      "sqs:SetQueueAttributes",
      "sqs:TagQueue",
      "sqs:UntagQueue",
      "sqs:ListQueueTags",
    ]
    resources = ["${local.arn.sqs}:${local.project}-*"]
  }

  statement {
    sid = "Bucket"
    actions = [
      "s3:CreateBucket",
      "s3:DeleteBucket",
      "s3:ListBucket",
      "s3:ListBucketVersions",
      "s3:GetBucket*",
      "s3:GetAccelerateConfiguration",
      "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration",
      "s3:PutBucketTagging",
      "s3:PutBucketPublicAccessBlock",
      "s3:PutBucketOwnershipControls",
      "s3:PutEncryptionConfiguration",
      "s3:PutLifecycleConfiguration",
    ]
    resources = ["arn:${local.p}:s3:::${local.project}-airflow-*"]
  }

  statement {
    sid = "BucketObjects"
    actions = [
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:GetObjectTagging",
      "s3:PutObject",
      "s3:PutObjectTagging",
      "s3:DeleteObject",
      "s3:DeleteObjectVersion",
    ]
    resources = ["arn:${local.p}:s3:::${local.project}-airflow-*/*"]
  }

  # The state bucket is shared by every project of the account and region: airflow-ecs creates
  # it on a first deploy, and this role reaches only its own project's keys in it.
  statement {
    sid = "StateBucket"
    actions = [
      "s3:CreateBucket",
      "s3:ListBucket",
      "s3:GetBucket*",
      "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration",
      "s3:PutBucketVersioning",
      "s3:PutBucketPublicAccessBlock",
      "s3:PutBucketOwnershipControls",
      "s3:PutBucketPolicy",
      "s3:PutBucketTagging",
      "s3:PutEncryptionConfiguration",
      "s3:PutLifecycleConfiguration",
    ]
    resources = ["arn:${local.p}:s3:::${local.state_bucket}"]
  }

  statement {
    sid       = "State"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["arn:${local.p}:s3:::${local.state_bucket}/${local.project}/*"]
  }

  # Deleting: the lock files only (Terraform's KEY.tflock, the CLI's KEY.airflow-ecs.lock), never the state.
  statement {
    sid     = "StateLocks"
    actions = ["s3:DeleteObject"]
    resources = [
      "arn:${local.p}:s3:::${local.state_bucket}/${local.project}/*.tflock",
      "arn:${local.p}:s3:::${local.state_bucket}/${local.project}/*.airflow-ecs.lock",
    ]
  }

  statement {
    sid = "ImageRepository"
    actions = [
      "ecr:CreateRepository",
      "ecr:DeleteRepository",
      "ecr:DescribeRepositories",
      "ecr:PutLifecyclePolicy",
      "ecr:GetLifecyclePolicy",
      "ecr:DeleteLifecyclePolicy",
      "ecr:PutImageScanningConfiguration",
      "ecr:PutImageTagMutability",
      "ecr:TagResource",
      "ecr:UntagResource",
      "ecr:ListTagsForResource",
      "ecr:DescribeImages",
      "ecr:ListImages",
      "ecr:BatchGetImage",
      "ecr:BatchCheckLayerAvailability",
      "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload",
      "ecr:UploadLayerPart",
      "ecr:CompleteLayerUpload",
      "ecr:PutImage",
    ]
    resources = ["${local.arn.ecr}:repository/${local.project}-*"]
  }
}

locals {
  policies = {
    network = data.aws_iam_policy_document.network.json
    compute = data.aws_iam_policy_document.compute.json
    data    = data.aws_iam_policy_document.data.json
  }
}

resource "aws_iam_policy" "deploy" {
  for_each    = local.policies
  name        = "${local.role_name}-${each.key}"
  description = "airflow-ecs deploy of ${var.project_name}: ${each.key}"
  policy      = each.value
}

resource "aws_iam_role_policy_attachment" "deploy" {
  for_each   = aws_iam_policy.deploy
  role       = aws_iam_role.deploy.name
  policy_arn = each.value.arn
}
