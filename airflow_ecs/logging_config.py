"""Airflow logging: component logs to stdout so ECS ships them to CloudWatch; task logs
keep Airflow's remote (S3) handler.

Airflow: [logging] logging_config_class = airflow_ecs.logging_config.LOGGING_CONFIG
"""

from __future__ import annotations

import copy


def stdout_logging(config: dict) -> dict:
    """The given logging dict with the console handler on stdout and used by the root logger."""
    result = copy.deepcopy(config)
    handlers = result.setdefault("handlers", {})
    console = handlers.setdefault("console", {"class": "logging.StreamHandler", "formatter": "airflow"})
    console["stream"] = "ext://sys.stdout"
    root = result.setdefault("root", {})
    root_handlers = list(root.get("handlers") or [])
    if "console" not in root_handlers:
        root_handlers.append("console")
    root["handlers"] = root_handlers
    return result


try:
    from airflow.config_templates.airflow_local_settings import DEFAULT_LOGGING_CONFIG
except ImportError:  # not inside an Airflow install
    LOGGING_CONFIG: dict = {}
else:
    LOGGING_CONFIG = stdout_logging(DEFAULT_LOGGING_CONFIG)
