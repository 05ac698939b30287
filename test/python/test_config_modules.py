import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from airflow_ecs import celery_config, logging_config, worker_protection


def test_broker_options_use_the_predefined_queue_and_region():
    options = celery_config.build_broker_transport_options(
        {"AIRFLOW_ECS_SQS_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/1/airflow-celery-default", "AWS_REGION": "eu-west-1"},
        "default",
    )
    assert options["predefined_queues"] == {"default": {"url": "https://sqs.eu-west-1.amazonaws.com/1/airflow-celery-default"}}
    assert options["region"] == "eu-west-1"
    assert options["visibility_timeout"] == 21600
    with pytest.raises(ValueError, match="AIRFLOW_ECS_SQS_QUEUE_URL"):
        celery_config.build_broker_transport_options({})


def test_modules_import_without_airflow():
    assert celery_config.CELERY_CONFIG == {}
    assert logging_config.LOGGING_CONFIG == {}


def test_stdout_logging_keeps_other_handlers():
    base = {"handlers": {"console": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}, "task": {"class": "x"}}, "root": {"handlers": ["task"]}}
    result = logging_config.stdout_logging(base)
    assert result["handlers"]["console"]["stream"] == "ext://sys.stdout"
    assert result["root"]["handlers"] == ["task", "console"]
    assert base["handlers"]["console"]["stream"] == "ext://sys.stderr", "input not modified"


class Agent(BaseHTTPRequestHandler):
    calls: list = []

    def do_PUT(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Agent.calls.append((self.path, body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_worker_protection_flips_with_busy_and_idle():
    server = HTTPServer(("127.0.0.1", 0), Agent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        Agent.calls = []
        uri = f"http://127.0.0.1:{server.server_port}/v4/abc"
        assert worker_protection.from_env({"ECS_AGENT_URI": uri}) is None, "off unless asked for"
        protection = worker_protection.from_env({"ECS_AGENT_URI": uri, "AIRFLOW_ECS_TASK_PROTECTION": "true"})
        protection.task_started()
        protection.task_started()  # second concurrent task: no extra call
        protection.task_finished()
        protection.task_finished()
        assert [c[1]["ProtectionEnabled"] for c in Agent.calls] == [True, False]
        assert Agent.calls[0] == ("/v4/abc/task-protection/v1/state", {"ProtectionEnabled": True, "ExpiresInMinutes": 1440})
    finally:
        server.shutdown()


def test_worker_protection_survives_an_unreachable_agent():
    protection = worker_protection.Protection("http://127.0.0.1:9", timeout=0.5)
    protection.task_started()
    protection.task_finished()
    assert protection.active == 0
