"""The test harness's ECS agent (test/harness/ecs_agent.py): when it calls a rollout COMPLETED.

A rollout test once passed a deploy whose scheduler crashed on every start: under CI load the
agent counted a task whose essential container had already exited (not yet noticed by its
watcher thread) as "up". ECS counts only tasks that stay running; so must the harness.
"""

import os
import subprocess
import sys
import time
from types import SimpleNamespace

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))

from ecs_agent import LocalAgent, _Container, _Task  # noqa: E402


def _agent() -> LocalAgent:
    agent = LocalAgent.__new__(LocalAgent)  # no watcher thread, no moto: only the rule
    agent.steady_seconds = 5
    return agent


def _task(*commands: str, running_for: float | None) -> _Task:
    t = _Task(SimpleNamespace(desired_status="RUNNING"), None)
    for i, command in enumerate(commands):
        c = _Container(f"c{i}", essential=True, emulated=False)
        c.process = subprocess.Popen(["sh", "-c", command])
        t.containers.append(c)
    t.containers.append(_Container("log_router", essential=True, emulated=True))
    t.running_since = None if running_for is None else time.time() - running_for
    return t


def _cleanup(t: _Task) -> None:
    for c in t.containers:
        if c.process is not None and c.process.poll() is None:
            c.process.kill()
            c.process.wait()


def test_a_task_up_long_enough_with_every_container_running_is_steady():
    t = _task("sleep 30", "sleep 30", running_for=6)
    try:
        assert _agent()._steady(t, time.time())
    finally:
        _cleanup(t)


def test_an_exited_container_the_watcher_has_not_noticed_yet_is_not_steady():
    t = _task("exit 3", "sleep 30", running_for=6)
    try:
        t.containers[0].process.wait()
        assert t.containers[0].exit_code is None  # the watcher thread has not seen it
        assert not _agent()._steady(t, time.time())
    finally:
        _cleanup(t)


def test_a_task_whose_containers_are_not_all_started_or_too_young_is_not_steady():
    t = _task("sleep 30", running_for=None)  # still starting (or could not start)
    young = _task("sleep 30", running_for=1)
    try:
        agent = _agent()
        assert not agent._steady(t, time.time() + 60)
        assert not agent._steady(young, time.time())
    finally:
        _cleanup(t)
        _cleanup(young)


def test_a_task_being_stopped_is_not_steady():
    t = _task("sleep 30", running_for=6)
    stopping = _task("sleep 30", running_for=6)
    try:
        t.task.desired_status = "STOPPED"
        stopping.stop_deadline = time.time() + 30
        agent = _agent()
        assert not agent._steady(t, time.time())
        assert not agent._steady(stopping, time.time())
    finally:
        _cleanup(t)
        _cleanup(stopping)
