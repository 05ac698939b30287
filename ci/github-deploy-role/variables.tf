variable "github_repository" {
  description = "The GitHub repository whose workflows may assume the role, as OWNER/NAME (e.g. acme/data)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", var.github_repository)) && !can(regex("/\\.\\.?$", var.github_repository))
    error_message = "github_repository: OWNER/NAME of a GitHub repository, e.g. acme/data (no URL, no .git)."
  }
}

variable "branch" {
  description = "The branch whose pushes may deploy (the trust policy's repo:OWNER/NAME:ref:refs/heads/BRANCH)."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]{1,200}$", var.branch)) && !can(regex("(^[-/.]|\\.\\.|//|/$|\\.lock$)", var.branch))
    error_message = "branch: a git branch name such as main or release/v2 (letters, digits, '.', '_', '-', '/')."
  }
}

variable "environments" {
  description = "GitHub environments whose jobs may assume the role (repo:OWNER/NAME:environment:ENV). A job that names an environment gets a token for the environment, not the branch: list the environment the workflow deploys, and give it a deployment branch rule in GitHub."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.environments : can(regex("^[A-Za-z0-9._-]{1,255}$", e))])
    error_message = "environments: GitHub environment names (letters, digits, '.', '_', '-')."
  }
}

variable "project_name" {
  description = "The airflow-ecs project name of the deployment (a named environment's is NAME-ENV, e.g. airflow-staging). The role reaches only resources named after it."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project_name))
    error_message = "project_name: 2-21 lower-case letters, digits or '-', starting with a letter (as in airflow-ecs.json)."
  }
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC identity provider (token.actions.githubusercontent.com). An account has at most one: set false when it exists already (another environment's role, another tool), and it is looked up instead."
  type        = bool
  default     = true
}

variable "state_bucket" {
  description = "The S3 bucket of the Terraform state (default: airflow-ecs-state-ACCOUNT-REGION, the bucket airflow-ecs creates)."
  type        = string
  default     = null
}

variable "role_name" {
  description = "Name of the deploy role (default: airflow-ecs-deploy-PROJECT). It must not start with PROJECT-: the role may change the deployment's roles, never itself."
  type        = string
  default     = null
}

variable "region" {
  description = "The deployment's AWS region (default: the standard AWS chain, AWS_REGION or the profile's)."
  type        = string
  default     = null
}

variable "max_session_duration" {
  description = "Longest session of the role, in seconds (a deploy that builds an image and migrates the database can take most of an hour)."
  type        = number
  default     = 7200

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration: 3600 to 43200 seconds."
  }
}
