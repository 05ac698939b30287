"""ECS task scale-in protection for Celery workers: a worker with tasks running protects
itself, so an autoscaling scale-in never stops it mid-task; idle, it drops protection.

The ECS agent endpoint ($ECS_AGENT_URI/task-protection/v1/state) takes
{"ProtectionEnabled": bool, "ExpiresInMinutes": n}. Enabled when AIRFLOW_ECS_TASK_PROTECTION
is "true" (infra-terraform sets it on workers only).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.request
from collections.abc import Mapping

log = logging.getLogger("airflow_ecs.worker_protection")


class Protection:
    """Counts the tasks this worker runs and tells the ECS agent when busy/idle flips."""

    def __init__(self, agent_uri: str, expires_in_minutes: int = 24 * 60, timeout: float = 5.0):
        self.url = f"{agent_uri.rstrip('/')}/task-protection/v1/state"
        self.expires = expires_in_minutes
        self.timeout = timeout
        self.active = 0
        self.lock = threading.Lock()

    def _put(self, enabled: bool) -> None:
        body = {"ProtectionEnabled": enabled}
        if enabled:
            body["ExpiresInMinutes"] = self.expires
        request = urllib.request.Request(
            self.url, data=json.dumps(body).encode(), method="PUT", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - agent URI from ECS
                response.read()
        except OSError:
            log.warning("could not %s scale-in protection", "set" if enabled else "clear", exc_info=True)

    def task_started(self) -> None:
        with self.lock:
            self.active += 1
            if self.active == 1:
                self._put(True)

    def task_finished(self) -> None:
        with self.lock:
            self.active = max(0, self.active - 1)
            if self.active == 0:
                self._put(False)


def from_env(env: Mapping[str, str]) -> Protection | None:
    if env.get("AIRFLOW_ECS_TASK_PROTECTION", "").lower() != "true" or not env.get("ECS_AGENT_URI"):
        return None
    return Protection(env["ECS_AGENT_URI"])


_connected = False


def connect(env: Mapping[str, str] | None = None) -> Protection | None:
    """Hooks task_prerun/task_postrun when Celery is there and protection is configured."""
    global _connected  # noqa: PLW0603
    protection = from_env(os.environ if env is None else env)
    if protection is None or _connected:
        return protection
    try:
        from celery.signals import task_postrun, task_prerun  # noqa: PLC0415
    except ImportError:
        return protection
    task_prerun.connect(lambda **_: protection.task_started(), weak=False)
    task_postrun.connect(lambda **_: protection.task_finished(), weak=False)
    _connected = True
    return protection
