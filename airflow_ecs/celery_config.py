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
        # Predefined: kombu uses this URL as is and never calls ListQueues/CreateQueue, so the
        # task role only needs Send/Receive/Delete/ChangeVisibility/GetQueueAttributes.
        "predefined_queues": {queue_name: {"url": url}},
        # Airflow's default for sqs:// is 86400 s, above SQS's 12 h maximum; 6 h here.
        "visibility_timeout": int(env.get("AIRFLOW_ECS_SQS_VISIBILITY_TIMEOUT", "21600")),
        "polling_interval": float(env.get("AIRFLOW_ECS_SQS_POLLING_INTERVAL", "1")),
        "wait_time_seconds": 20,
    }
    if region:
        options["region"] = region
    return options


def extend_celery_config(base: Mapping, env: Mapping[str, str], queue_name: str) -> dict:
    """Airflow's Celery config (base, not modified) with our SQS transport options merged in."""
    config = dict(base)
    config["broker_transport_options"] = {
        **(base.get("broker_transport_options") or {}),
        **build_broker_transport_options(env, queue_name),
    }
    return config


def _build() -> dict:
    from airflow.configuration import conf  # noqa: PLC0415 - only inside Airflow
    from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG  # noqa: PLC0415

    queue = conf.get("operators", "default_queue", fallback="default")
    return extend_celery_config(DEFAULT_CELERY_CONFIG, os.environ, queue)


try:
    CELERY_CONFIG = _build()
except ImportError:  # not inside an Airflow install (tests, tooling)
    CELERY_CONFIG = {}
else:
    from airflow_ecs import worker_protection

    worker_protection.connect()
