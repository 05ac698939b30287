"""Airflow logging: component logs to stdout so ECS ships them to CloudWatch; task logs
keep Airflow's remote (S3) handler.

Airflow: [logging] logging_config_class = airflow_ecs.logging_config.LOGGING_CONFIG

Airflow 3 reads two more names from the module that holds the logging config:
REMOTE_TASK_LOG and DEFAULT_REMOTE_CONN_ID (airflow.logging_config.load_logging_config).
Without them a custom logging_config_class silently turns remote (S3) task logs off, so
this module re-exports Airflow's own values unchanged.
"""

from __future__ import annotations

import copy

# Airflow's console handler class takes the stream *name* ("sys.stdout") and refuses a
# file object; dictConfig turns "ext://sys.stdout" into a file object, so that form is only
# for plain logging.StreamHandler.
_NAMED_STREAM_HANDLERS = ("RedirectStdHandler",)


def stdout_logging(config: dict) -> dict:
    """The given logging dict with the console handler on stdout and used by the root logger.

    Every other handler (notably "task", the remote S3 task log handler) is left as is.
    """
    result = copy.deepcopy(config)
    handlers = result.setdefault("handlers", {})
    console = handlers.setdefault("console", {"class": "logging.StreamHandler", "formatter": "airflow"})
    if str(console.get("class", "")).rsplit(".", 1)[-1] in _NAMED_STREAM_HANDLERS:
        console["stream"] = "sys.stdout"
    else:
        console["stream"] = "ext://sys.stdout"
    root = result.setdefault("root", {})
    root_handlers = list(root.get("handlers") or [])
    if "console" not in root_handlers:
        root_handlers.append("console")
    root["handlers"] = root_handlers
    return result


try:
    from airflow.config_templates import airflow_local_settings as _defaults
except ImportError:  # not inside an Airflow install (tests, tooling)
    LOGGING_CONFIG: dict = {}
    REMOTE_TASK_LOG = None
    DEFAULT_REMOTE_CONN_ID = None
else:
    LOGGING_CONFIG = stdout_logging(_defaults.DEFAULT_LOGGING_CONFIG)
    REMOTE_TASK_LOG = getattr(_defaults, "REMOTE_TASK_LOG", None)
    DEFAULT_REMOTE_CONN_ID = getattr(_defaults, "DEFAULT_REMOTE_CONN_ID", None)
