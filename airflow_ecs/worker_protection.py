"""ECS task scale-in protection for Celery workers: a worker with tasks running protects
itself, so an autoscaling scale-in never stops it mid-task; idle, it drops protection.

The ECS agent endpoint ($ECS_AGENT_URI/task-protection/v1/state) takes
{"ProtectionEnabled": bool, "ExpiresInMinutes": n}. Enabled when AIRFLOW_ECS_TASK_PROTECTION
is "true" (infra-terraform sets it on workers only) and ECS_AGENT_URI is set (ECS sets it).

Celery's default pool (prefork, which Airflow uses) runs task_prerun/task_postrun in the
pool's child processes, one per concurrent task. The busy count therefore lives in shared
memory created before the pool forks (at import of airflow_ecs.celery_config in the worker's
main process), not in a per-process variable: otherwise the first child to finish would drop
protection while its siblings still run tasks. The main process also reconciles the count
with Celery's own record of active and reserved requests every
AIRFLOW_ECS_TASK_PROTECTION_REFRESH seconds (default 60), which repairs the count if a child
dies mid-task (no task_postrun) and renews the protection's expiry while busy.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import threading
import urllib.request
from collections.abc import Callable, Mapping

log = logging.getLogger("airflow_ecs.worker_protection")

_UNKNOWN, _OFF, _ON = -1, 0, 1


class Protection:
    """Counts the tasks this worker runs and tells the ECS agent when busy/idle flips."""

    def __init__(self, agent_uri: str, expires_in_minutes: int = 60, timeout: float = 5.0, shared: bool = False):
        if not 1 <= expires_in_minutes <= 2880:
            raise ValueError("ExpiresInMinutes must be between 1 and 2880 (ECS limit)")
        self.url = f"{agent_uri.rstrip('/')}/task-protection/v1/state"
        self.expires = expires_in_minutes
        self.timeout = timeout
        # [busy count, last state sent]; shared memory survives fork into the pool's children.
        if shared:
            self._state = multiprocessing.Array("i", [0, _UNKNOWN])
            self._lock = self._state.get_lock()
        else:
            self._state = [0, _UNKNOWN]
            self._lock = threading.RLock()

    @property
    def active(self) -> int:
        return self._state[0]

    def _put(self, enabled: bool) -> bool:
        body: dict = {"ProtectionEnabled": enabled}
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
            return False
        self._state[1] = _ON if enabled else _OFF
        return True

    def task_started(self) -> None:
        with self._lock:
            self._state[0] += 1
            if self._state[0] == 1 or self._state[1] != _ON:
                self._put(True)

    def task_finished(self) -> None:
        with self._lock:
            self._state[0] = max(0, self._state[0] - 1)
            if self._state[0] == 0:
                self._put(False)

    def reconcile(self, busy: int) -> None:
        """Sets the count to Celery's own figure; renews protection while busy."""
        with self._lock:
            self._state[0] = max(0, busy)
            if busy > 0:
                self._put(True)
            elif self._state[1] != _OFF:
                self._put(False)


def from_env(env: Mapping[str, str], shared: bool = False) -> Protection | None:
    if env.get("AIRFLOW_ECS_TASK_PROTECTION", "").lower() != "true" or not env.get("ECS_AGENT_URI"):
        return None
    minutes = int(env.get("AIRFLOW_ECS_TASK_PROTECTION_MINUTES", "60"))
    return Protection(env["ECS_AGENT_URI"], expires_in_minutes=minutes, shared=shared)


def start_reconciler(protection: Protection, busy: Callable[[], int], period: float, stop: threading.Event) -> threading.Thread:
    """A daemon thread that calls protection.reconcile(busy()) every period until stop is set."""

    def loop() -> None:
        while not stop.wait(period):
            try:
                protection.reconcile(busy())
            except Exception:  # noqa: BLE001 - never take the worker down over protection
                log.warning("could not reconcile scale-in protection", exc_info=True)

    thread = threading.Thread(target=loop, name="ecs-task-protection", daemon=True)
    thread.start()
    return thread


def celery_busy_count() -> int:
    """Requests this worker has started or prefetched (Celery main-process bookkeeping)."""
    from celery.worker import state  # noqa: PLC0415

    return len(state.active_requests) + len(state.reserved_requests)


_connected: Protection | None = None


def connect(env: Mapping[str, str] | None = None) -> Protection | None:
    """Hooks task_prerun/task_postrun (and the reconciler on worker_ready) when Celery is
    importable and protection is configured; a no-op otherwise, and when called again."""
    global _connected  # noqa: PLW0603
    if _connected is not None:
        return _connected
    env = os.environ if env is None else env
    try:
        protection = from_env(env, shared=True)
    except (OSError, ValueError):  # bad settings, or no shared memory: never break the worker
        log.warning("ECS scale-in protection is off", exc_info=True)
        return None
    if protection is None:
        return None
    try:
        from celery.signals import task_postrun, task_prerun, worker_ready, worker_shutdown  # noqa: PLC0415
    except ImportError:
        return protection
    stop = threading.Event()
    period = float(env.get("AIRFLOW_ECS_TASK_PROTECTION_REFRESH", "60"))
    task_prerun.connect(lambda **_: protection.task_started(), weak=False)
    task_postrun.connect(lambda **_: protection.task_finished(), weak=False)
    worker_ready.connect(lambda **_: start_reconciler(protection, celery_busy_count, period, stop), weak=False)
    worker_shutdown.connect(lambda **_: stop.set(), weak=False)
    _connected = protection
    return protection
