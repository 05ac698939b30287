"""airflow-ecs: configuration and helpers the Airflow image imports.

- celery_config: Celery on SQS with a predefined queue (no ListQueues/CreateQueue).
- logging_config: component logs to stdout (CloudWatch); task logs stay remote (S3).
- metrics_publisher: the MWAA-style worker autoscaling metric.
- worker_protection: ECS task scale-in protection for busy Celery workers.
"""

__all__ = ["celery_config", "logging_config", "metrics_publisher", "worker_protection"]
