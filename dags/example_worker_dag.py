"""A DAG that makes a Celery worker do something visible: it reports which worker ran
it, computes a small result that the next task reads back through XCom, and reads a
variable and a connection through the deployment's secrets backend (Secrets Manager).

Trigger it with `{"sleep_seconds": 30}` as the run's conf to keep a task running for a
while (to watch its log live in the UI).
"""

from __future__ import annotations

import socket
import time
from datetime import datetime

from airflow.sdk import Connection, Param, Variable, dag, task

GREETING_VARIABLE = "example_greeting"
HTTP_CONNECTION = "example_http"


@dag(
    schedule=None,
    start_date=datetime(2025, 1, 1),
    catchup=False,
    tags=["airflow-ecs", "example"],
    params={"sleep_seconds": Param(0, type="integer", minimum=0, maximum=3600)},
)
def example_worker():
    @task
    def where_am_i() -> str:
        host = socket.gethostname()
        print(f"running on worker {host}")
        return host

    @task
    def add_up(host: str) -> int:
        total = sum(range(1, 101))
        print(f"{host} says 1 + 2 + ... + 100 = {total}")
        return total

    @task
    def read_settings() -> dict:
        """A variable and a connection, from wherever Airflow finds them (Secrets Manager here)."""
        greeting = Variable.get(GREETING_VARIABLE, default=None)
        print(f"variable {GREETING_VARIABLE} = {greeting!r}")
        try:
            conn = Connection.get(HTTP_CONNECTION)
        except Exception as error:  # noqa: BLE001 - an example: say what is missing and go on
            print(f"connection {HTTP_CONNECTION} is not set ({type(error).__name__}); "
                  f"set it with: airflow-ecs connections set {HTTP_CONNECTION} --uri https://example.com")
            return {"greeting": greeting, "host": None}
        print(f"connection {HTTP_CONNECTION}: type={conn.conn_type} host={conn.host}")
        return {"greeting": greeting, "host": conn.host}

    @task
    def take_your_time(params=None) -> int:
        seconds = int((params or {}).get("sleep_seconds") or 0)
        for second in range(seconds):
            print(f"still working: {second + 1}/{seconds} s")
            time.sleep(1)
        return seconds

    add_up(where_am_i()) >> read_settings() >> take_your_time()


example_worker()
