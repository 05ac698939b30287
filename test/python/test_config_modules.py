import json
import logging
import logging.config
import multiprocessing
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


def test_extend_celery_config_keeps_airflows_settings_and_adds_the_queue():
    base = {"task_acks_late": True, "worker_concurrency": 16, "broker_transport_options": {"visibility_timeout": 86400, "max_retries": 3}}
    env = {"AIRFLOW_ECS_SQS_QUEUE_URL": "http://elasticmq:9324/000000000000/q", "AWS_DEFAULT_REGION": "us-west-2"}
    config = celery_config.extend_celery_config(base, env, "etl")
    assert config["task_acks_late"] is True and config["worker_concurrency"] == 16
    options = config["broker_transport_options"]
    assert options["predefined_queues"] == {"etl": {"url": "http://elasticmq:9324/000000000000/q"}}
    assert options["region"] == "us-west-2", "falls back to AWS_DEFAULT_REGION"
    assert options["max_retries"] == 3, "Airflow's own transport options survive"
    assert options["visibility_timeout"] == 21600, "SQS caps visibility at 12 h; Airflow's 86400 default would be rejected"
    assert base["broker_transport_options"] == {"visibility_timeout": 86400, "max_retries": 3}, "input not modified"


def test_modules_build_on_the_installed_airflow():
    """pytest runs in the tests' virtualenv: the real Airflow and Celery provider (conftest.py
    sets the queue URL the infra sets on every container)."""
    from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

    config = celery_config.CELERY_CONFIG
    assert config["broker_transport_options"]["predefined_queues"]["default"]["url"].endswith("/airflow-ecs-pytest")
    assert {k: config[k] for k in DEFAULT_CELERY_CONFIG if k != "broker_transport_options"} == {
        k: v for k, v in DEFAULT_CELERY_CONFIG.items() if k != "broker_transport_options"
    }, "Airflow's own Celery settings are kept"
    console = logging_config.LOGGING_CONFIG["handlers"]["console"]
    named = console["class"].endswith("RedirectStdHandler")
    assert console["stream"] == ("sys.stdout" if named else "ext://sys.stdout"), console
    assert "console" in logging_config.LOGGING_CONFIG["root"]["handlers"]
    # Airflow 3 imports these two from the logging config's module; they must exist.
    assert hasattr(logging_config, "REMOTE_TASK_LOG") and hasattr(logging_config, "DEFAULT_REMOTE_CONN_ID")


def test_stdout_logging_keeps_other_handlers():
    base = {"handlers": {"console": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}, "task": {"class": "x"}}, "root": {"handlers": ["task"]}}
    result = logging_config.stdout_logging(base)
    assert result["handlers"]["console"]["stream"] == "ext://sys.stdout"
    assert result["root"]["handlers"] == ["task", "console"]
    assert base["handlers"]["console"]["stream"] == "ext://sys.stderr", "input not modified"


class RedirectStdHandler(logging.StreamHandler):
    """Same constructor contract as Airflow 3's airflow.utils.log.logging_mixin.RedirectStdHandler:
    the stream's name as a string, never a file object."""

    def __init__(self, stream):
        if not isinstance(stream, str):
            raise TypeError("Cannot use file like objects. Use 'stdout' or 'stderr' as a str and without 'ext://'.")
        self._use_stderr = "stdout" not in stream
        logging.Handler.__init__(self)

    @property
    def stream(self):
        return sys.stderr if self._use_stderr else sys.stdout


# The shape of Airflow 3's DEFAULT_LOGGING_CONFIG (config_templates/airflow_local_settings.py).
AIRFLOW3_SHAPE = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"airflow_coloured": {"format": "%(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": f"{__name__}.RedirectStdHandler", "formatter": "airflow_coloured", "stream": "sys.stderr"},
        "task": {"class": "logging.NullHandler"},
    },
    "loggers": {"airflow.task": {"handlers": ["task"], "level": "INFO", "propagate": True}},
    "root": {"handlers": ["console"], "level": "INFO"},
}


def test_airflow3_style_config_goes_to_stdout_through_dict_config(capsys):
    config = logging_config.stdout_logging(AIRFLOW3_SHAPE)
    assert config["handlers"]["task"] == {"class": "logging.NullHandler"}, "task (remote) handler untouched"
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        logging.config.dictConfig(config)
        logging.getLogger("airflow.jobs.scheduler").warning("scheduler heartbeat")
        out, err = capsys.readouterr()
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    assert "WARNING airflow.jobs.scheduler scheduler heartbeat" in out
    assert "scheduler heartbeat" not in err


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
    server = ThreadingHTTPServer(("127.0.0.1", 0), Agent)
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
        assert Agent.calls[0] == ("/v4/abc/task-protection/v1/state", {"ProtectionEnabled": True, "ExpiresInMinutes": 60})
        assert Agent.calls[1] == ("/v4/abc/task-protection/v1/state", {"ProtectionEnabled": False})
    finally:
        server.shutdown()


def _pool_child(protection, started, release):
    protection.task_started()
    started.release()
    release.wait(10)
    protection.task_finished()


def test_worker_protection_counts_across_forked_pool_children():
    """Celery's prefork pool runs task_prerun/task_postrun in its children: protection must
    stay on until the last child is done, not drop when the first one finishes."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Agent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ctx = multiprocessing.get_context("fork")
    try:
        Agent.calls = []
        env = {"ECS_AGENT_URI": f"http://127.0.0.1:{server.server_port}", "AIRFLOW_ECS_TASK_PROTECTION": "true"}
        protection = worker_protection.from_env(env, shared=True)  # created before the fork, as in the worker
        started, first, second = ctx.Semaphore(0), ctx.Event(), ctx.Event()
        children = [ctx.Process(target=_pool_child, args=(protection, started, gate)) for gate in (first, second)]
        for child in children:
            child.start()
        assert started.acquire(timeout=10) and started.acquire(timeout=10)
        assert protection.active == 2
        first.set()
        children[0].join(10)
        assert protection.active == 1
        assert [c[1]["ProtectionEnabled"] for c in Agent.calls] == [True], "still busy: protection stays on"
        second.set()
        children[1].join(10)
        assert protection.active == 0
        assert [c[1]["ProtectionEnabled"] for c in Agent.calls] == [True, False]
    finally:
        server.shutdown()


def test_reconcile_repairs_a_lost_task_and_renews_while_busy():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Agent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        Agent.calls = []
        protection = worker_protection.Protection(f"http://127.0.0.1:{server.server_port}", expires_in_minutes=10)
        protection.task_started()
        protection.task_started()
        protection.task_finished()  # the other child died mid-task: no task_postrun
        assert protection.active == 1
        protection.reconcile(1)  # Celery still has it active: renew
        protection.reconcile(0)  # Celery says idle: drop, and the count is repaired
        protection.reconcile(0)  # already off: no call
        assert protection.active == 0
        assert [c[1] for c in Agent.calls] == [
            {"ProtectionEnabled": True, "ExpiresInMinutes": 10},
            {"ProtectionEnabled": True, "ExpiresInMinutes": 10},
            {"ProtectionEnabled": False},
        ]
        stop = threading.Event()
        busy = iter([3, 0, 0, 0, 0])
        thread = worker_protection.start_reconciler(protection, lambda: next(busy, 0), 0.05, stop)
        for _ in range(100):
            if len(Agent.calls) >= 5:
                break
            time.sleep(0.05)
        stop.set()
        thread.join(2)
        assert not thread.is_alive()
        assert [c[1]["ProtectionEnabled"] for c in Agent.calls[3:5]] == [True, False]
    finally:
        server.shutdown()


def test_connect_is_off_without_configuration_and_a_bad_setting_never_breaks_the_worker(monkeypatch):
    assert worker_protection.connect({}) is None
    monkeypatch.setattr(worker_protection, "_connected", None)
    protection = worker_protection.connect({"ECS_AGENT_URI": "http://127.0.0.1:9", "AIRFLOW_ECS_TASK_PROTECTION": "true"})
    assert isinstance(protection, worker_protection.Protection)
    monkeypatch.setattr(worker_protection, "_connected", None)
    bad = {"ECS_AGENT_URI": "http://127.0.0.1:9", "AIRFLOW_ECS_TASK_PROTECTION": "true", "AIRFLOW_ECS_TASK_PROTECTION_MINUTES": "9999"}
    assert worker_protection.connect(bad) is None, "a bad setting turns protection off instead of breaking the worker"
    with pytest.raises(ValueError, match="2880"):
        worker_protection.Protection("http://x", expires_in_minutes=3000)


def test_worker_protection_survives_an_unreachable_agent():
    protection = worker_protection.Protection("http://127.0.0.1:9", timeout=0.5)
    assert protection._put(True) is False
    protection.task_started()
    protection.task_finished()
    assert protection.active == 0
