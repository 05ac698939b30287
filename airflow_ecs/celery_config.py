"""Celery configuration for Airflow's CeleryExecutor on SQS with a predefined queue.

Airflow: [celery] celery_config_options = airflow_ecs.celery_config.CELERY_CONFIG
The queue URL comes from AIRFLOW_ECS_SQS_QUEUE_URL (set by infra-terraform). Importing
this module in a worker also connects ECS task scale-in protection (worker_protection).
"""

from __future__ import annotations

import os
from collections.abc import Mapping


def build_broker_transport_options(env: Mapping[str, str], queue_name: str = "default") -> dict:
    """SQS transport options for kombu: one predefined queue, in the deployment's region."""
    url = env.get("AIRFLOW_ECS_SQS_QUEUE_URL", "").strip()
    if not url:
        raise ValueError("AIRFLOW_ECS_SQS_QUEUE_URL is not set: the SQS broker queue is unknown")
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    options: dict = {
        "predefined_queues": {queue_name: {"url": url}},
        "visibility_timeout": int(env.get("AIRFLOW_ECS_SQS_VISIBILITY_TIMEOUT", "21600")),
        "polling_interval": float(env.get("AIRFLOW_ECS_SQS_POLLING_INTERVAL", "1")),
        "wait_time_seconds": 20,
    }
    if region:
        options["region"] = region
    return options


def _build() -> dict:
    from airflow.configuration import conf  # noqa: PLC0415 - only inside Airflow
    from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG  # noqa: PLC0415

    queue = conf.get("operators", "default_queue", fallback="default")
    config = dict(DEFAULT_CELERY_CONFIG)
    config["broker_transport_options"] = {
        **(config.get("broker_transport_options") or {}),
        **build_broker_transport_options(os.environ, queue),
    }
    config["task_acks_late"] = True
    config["worker_prefetch_multiplier"] = 1
    return config


try:
    CELERY_CONFIG = _build()
except ImportError:  # not inside an Airflow install (tests, tooling)
    CELERY_CONFIG = {}
else:
    from airflow_ecs import worker_protection

    worker_protection.connect()
