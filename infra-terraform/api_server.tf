# api-server: the Airflow 3 UI and REST/execution API, behind the load balancer and
# registered in private DNS for the workers' execution API calls.
resource "aws_service_discovery_service" "api_server" {
  name = "api-server"
  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.main.id
    routing_policy = "MULTIVALUE"
    dns_records {
      type = "A"
      ttl  = 10
    }
  }
}

module "api_server" {
  source = "./modules/airflow-service"
  name   = "api-server"
  containers = [{
    name                 = "api-server"
    command              = ["api-server"]
    port                 = 8080
    log_group            = aws_cloudwatch_log_group.airflow["api-server"].name
    health_check_command = ["CMD-SHELL", "curl --fail http://localhost:8080/api/v2/monitor/health || exit 1"]
  }]
  cpu                  = local.api_server_size.cpu
  memory               = local.api_server_size.memory
  desired_count        = local.api_server_size.count
  target_group_arn     = aws_lb_target_group.api_server.arn
  service_registry_arn = aws_service_discovery_service.api_server.arn

  common = local.common_service

  # The target group must be on a listener (HTTP, or HTTPS when port 80 only redirects)
  # before a service can register into it; FARGATE must be on the cluster.
  depends_on = [aws_lb_listener.http, aws_lb_listener.https, aws_ecs_cluster_capacity_providers.main]
}
