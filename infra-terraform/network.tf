# VPC over two AZs: public subnets (ALB, and tasks by default) and private subnets
# (database; tasks when task_subnets = "private", behind one NAT gateway).
locals {
  azs          = slice(data.aws_availability_zones.available.names, 0, 2)
  private_mode = var.task_subnets == "private"
}

resource "aws_vpc" "main" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = var.project_name }
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
  tags   = { Name = var.project_name }
}

resource "aws_subnet" "public" {
  count                   = 2
  vpc_id                  = aws_vpc.main.id
  availability_zone       = local.azs[count.index]
  cidr_block              = cidrsubnet(var.vpc_cidr, 4, count.index)
  map_public_ip_on_launch = false
  tags                    = { Name = "${var.project_name}-public-${local.azs[count.index]}" }
}

resource "aws_subnet" "private" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet(var.vpc_cidr, 4, count.index + 8)
  tags              = { Name = "${var.project_name}-private-${local.azs[count.index]}" }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  tags   = { Name = "${var.project_name}-public" }
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.main.id
}

resource "aws_route_table_association" "public" {
  count          = 2
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id
  tags   = { Name = "${var.project_name}-private" }
}

resource "aws_route_table_association" "private" {
  count          = 2
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

resource "aws_eip" "nat" {
  count  = local.private_mode ? 1 : 0
  domain = "vpc"
  tags   = { Name = "${var.project_name}-nat" }
}

resource "aws_nat_gateway" "main" {
  count         = local.private_mode ? 1 : 0
  allocation_id = aws_eip.nat[0].id
  subnet_id     = aws_subnet.public[0].id
  tags          = { Name = var.project_name }
  depends_on    = [aws_internet_gateway.main]
}

resource "aws_route" "private_nat" {
  count                  = local.private_mode ? 1 : 0
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.main[0].id
}

# --- Security groups: nothing is open to the world unless allowed_cidrs says so.

resource "aws_security_group" "alb" {
  name_prefix = "${var.project_name}-alb-"
  description = "Airflow web load balancer: HTTP(S) from allowed_cidrs only"
  vpc_id      = aws_vpc.main.id
  lifecycle { create_before_destroy = true }
}

resource "aws_vpc_security_group_ingress_rule" "alb" {
  for_each          = { for pair in setproduct(var.allowed_cidrs, var.certificate_arn == null ? [80] : [80, 443]) : "${pair[0]}:${pair[1]}" => pair }
  security_group_id = aws_security_group.alb.id
  cidr_ipv4         = each.value[0]
  from_port         = each.value[1]
  to_port           = each.value[1]
  ip_protocol       = "tcp"
  description       = "web UI"
}

resource "aws_vpc_security_group_egress_rule" "alb_to_api" {
  security_group_id            = aws_security_group.alb.id
  referenced_security_group_id = aws_security_group.tasks.id
  from_port                    = 8080
  to_port                      = 8080
  ip_protocol                  = "tcp"
  description                  = "to the api-server tasks"
}

# Every Airflow task: no inbound from outside the VPC; the api-server port only from the
# load balancer and from the other tasks (workers call the execution API); the worker and
# triggerer log server ports only from the other tasks (the api-server reads live logs).
resource "aws_security_group" "tasks" {
  name_prefix = "${var.project_name}-tasks-"
  description = "Airflow ECS tasks: no inbound except the api-server port from the ALB and from tasks"
  vpc_id      = aws_vpc.main.id
  lifecycle { create_before_destroy = true }
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_alb" {
  security_group_id            = aws_security_group.tasks.id
  referenced_security_group_id = aws_security_group.alb.id
  from_port                    = 8080
  to_port                      = 8080
  ip_protocol                  = "tcp"
  description                  = "api-server from the load balancer"
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_tasks" {
  security_group_id            = aws_security_group.tasks.id
  referenced_security_group_id = aws_security_group.tasks.id
  from_port                    = 8080
  to_port                      = 8080
  ip_protocol                  = "tcp"
  description                  = "execution API from workers and other components"
}

# The api-server reads a running task's log from its worker's log server, and a deferred
# task's from the triggerer's. One local for both these rules and Airflow's
# [logging] worker_log_server_port / trigger_log_server_port (airflow.tf), so they cannot drift.
locals {
  log_server_ports = {
    worker    = 8793
    triggerer = 8794
  }
}

resource "aws_vpc_security_group_ingress_rule" "tasks_log_servers" {
  for_each                     = local.log_server_ports
  security_group_id            = aws_security_group.tasks.id
  referenced_security_group_id = aws_security_group.tasks.id
  from_port                    = each.value
  to_port                      = each.value
  ip_protocol                  = "tcp"
  description                  = "${each.key} log server, read by the api-server"
}

resource "aws_vpc_security_group_egress_rule" "tasks_out" {
  security_group_id = aws_security_group.tasks.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
  description       = "image pulls, AWS APIs, the database"
}

resource "aws_security_group" "db" {
  name_prefix = "${var.project_name}-db-"
  description = "Airflow metadata database: PostgreSQL from the tasks only"
  vpc_id      = aws_vpc.main.id
  lifecycle { create_before_destroy = true }
}

resource "aws_vpc_security_group_ingress_rule" "db_from_tasks" {
  security_group_id            = aws_security_group.db.id
  referenced_security_group_id = aws_security_group.tasks.id
  from_port                    = 5432
  to_port                      = 5432
  ip_protocol                  = "tcp"
  description                  = "PostgreSQL from Airflow tasks"
}

# Private DNS so workers reach the api-server's execution API without leaving the VPC.
resource "aws_service_discovery_private_dns_namespace" "main" {
  name        = "${var.project_name}.airflow.internal"
  description = "Airflow components"
  vpc         = aws_vpc.main.id
}
