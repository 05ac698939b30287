# Celery broker: one SQS queue, predefined (workers never list or create queues).
resource "aws_sqs_queue" "celery" {
  name                       = "${var.project_name}-celery-default"
  sqs_managed_sse_enabled    = true
  visibility_timeout_seconds = 21600 # longer than the longest task: Celery acks late
  message_retention_seconds  = 1209600
  receive_wait_time_seconds  = 20
}
