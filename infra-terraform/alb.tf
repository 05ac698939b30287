# The web UI: an internet-facing ALB, reachable only from allowed_cidrs. HTTPS on 443 when
# certificate_arn is set, and port 80 then only redirects. With domain_name, the UI's address
# (Airflow's [api] base_url, FAB's login and logout redirects, the output's web.url) is
# https://<domain_name> instead of the load balancer's own name.
locals {
  https   = var.certificate_arn != null
  web_url = var.domain_name != null ? "https://${var.domain_name}" : "${local.https ? "https" : "http"}://${aws_lb.web.dns_name}"
}

resource "aws_lb" "web" {
  name_prefix                = substr(replace(var.project_name, "-", ""), 0, 6)
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = aws_subnet.public[*].id
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
  idle_timeout               = 120
}

resource "aws_lb_target_group" "api_server" {
  name_prefix          = "api"
  port                 = 8080
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = aws_vpc.main.id
  deregistration_delay = 30

  health_check {
    path                = "/api/v2/monitor/health"
    matcher             = "200"
    interval            = 30
    healthy_threshold   = 2
    unhealthy_threshold = 5
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.web.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = local.https ? "redirect" : "forward"
    target_group_arn = local.https ? null : aws_lb_target_group.api_server.arn

    dynamic "redirect" {
      for_each = local.https ? [1] : []
      content {
        port        = "443"
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }
  }
}

resource "aws_lb_listener" "https" {
  count             = local.https ? 1 : 0
  load_balancer_arn = aws_lb.web.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api_server.arn
  }
}
