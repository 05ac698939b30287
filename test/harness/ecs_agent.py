"""A local ECS agent for the airflow-ecs tests: moto's ECS, but the containers really run.

moto accepts task definitions and starts nothing. With this agent loaded into the moto
server (moto_server.py does so when AIRFLOW_ECS_LOCAL_AGENT names a config file), every task
that ECS would start (a service's desired tasks, a RunTask) runs each container's command as
a local process in the project's test virtualenv, as the ECS agent would run it in the image:

- environment: the container's `environment`, the RunTask overrides, and its `secrets`
  resolved from Secrets Manager on moto (the execution role's job on ECS), plus
  AWS_ENDPOINT_URL at moto and dummy credentials (the task role's, on ECS);
- stdout and stderr go line by line to the container's CloudWatch log group and stream on
  moto, named as the awslogs driver (and our FireLens output) name them;
- when the essential container exits, the task is STOPPED with that container's real exit
  code (128 + signal when killed, as Docker reports it); a task whose desired status becomes
  STOPPED (StopTask, a service scaled down or deleted) gets SIGTERM, then SIGKILL after its
  stopTimeout; a service with fewer running tasks than desired gets a replacement, as the
  ECS service scheduler does (after a short back-off);
- a rollout is COMPLETED once the service's desired tasks have stayed up steadySeconds (5 by
  default), as ECS waits for steady state before it says so;
- the deployment circuit breaker, when a service has it on: once its current task definition
  has had max(3, min(200, desired / 2)) tasks whose essential container exited non-zero, the
  PRIMARY deployment's rolloutState becomes FAILED and no more tasks are started for it (the
  rollback to an earlier deployment is not emulated);
- sidecars that are not Airflow (the FireLens log router) are emulated: they "run" while
  the task runs and start no process.

What differs from Fargate is said here, in HOST_MAP below and nowhere else. On ECS each task is
a host of its own and VPC-only names resolve inside the VPC. Here all processes share one
host, so:
- each task gets its own folder as its filesystem (AIRFLOW_HOME, HOME, the working
  directory), each container its own subfolder when the task runs several (compact's core
  task: scheduler, dag-processor, triggerer, metrics, as ECS gives each its own filesystem), and the image's paths (/opt/airflow/dags, ...) map to the project's folders;
- listening ports are per cluster: each port in PORTS gets a free local port, set through the
  Airflow option that controls it, for every process of the cluster (both ends agree). So one
  task per listening component and cluster (a second api-server would clash);
- VPC-only names in environment values and secrets are rewritten: a Cloud Map name
  (<service>.<namespace>[:port], any service of a private namespace) to 127.0.0.1 and the
  cluster's local port for that container port, an RDS endpoint
  (*.rds.amazonaws.com[:port]) to the harness's PostgreSQL. The role and database named in a
  database URL are created in that PostgreSQL on first use (RDS creates them on ECS).

Nothing in the product knows this agent exists.

Config (JSON): {"venv": dir, "workDir": dir, "endpoint": moto URL,
                "postgres": {"host", "port", "user"}, "pathMap": {image path: local path},
                "pythonPath": [dirs], "restartDelaySeconds": n}
State: <workDir>/state.json, rewritten on every change (tasks, their processes, exit codes,
the cluster ports), for tests to read.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from typing import Any, Callable

# The listening ports of Airflow's components, and the option that moves each one.
PORTS = {
    8080: "AIRFLOW__API__PORT",
    8793: "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT",
    8794: "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT",
}
HOST_MAP_DOC = "see the module docstring of test/harness/ecs_agent.py"
RDS_HOST = re.compile(r"[A-Za-z0-9.-]+\.rds\.amazonaws\.com(?::(\d+))?")
SHELLS = {"bash", "sh", "/bin/bash", "/bin/sh", "python", "python3", "/usr/bin/env"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


class _Container:
    def __init__(self, name: str, essential: bool, emulated: bool):
        self.name = name
        self.essential = essential
        self.emulated = emulated
        self.process: subprocess.Popen | None = None
        self.exit_code: int | None = None
        self.log_target: tuple[str, str] | None = None
        self.pump: threading.Thread | None = None
        # Peak resident memory of the container (its whole process group), in MiB.
        self.peak_rss_mib = 0.0


class _Task:
    def __init__(self, task: Any, task_def: Any):
        self.task = task
        self.task_def = task_def
        self.containers: list[_Container] = []
        self.stop_deadline: float | None = None
        self.stopped = False
        self.started_at = time.time()
        # When every container had been started (None until then, or when one could not be).
        self.running_since: float | None = None
        self.stopped_at: float | None = None
        self.reason = ""
        self.home = ""
        self.per_container_home = False


class LocalAgent:
    def __init__(self, config: dict, *, logs_backend: Callable, secrets_backend: Callable,
                 discovery_backend: Callable, ecs_backend_of: Callable, reconcile: Callable):
        self.config = config
        self.venv = config["venv"]
        self.work_dir = config["workDir"]
        self.endpoint = config["endpoint"]
        self.postgres = config.get("postgres")  # None: no database (a fake Airflow needs none)
        self.path_map = config.get("pathMap", {})
        self.python_path = config.get("pythonPath", [])
        self.restart_delay = float(config.get("restartDelaySeconds", 3))
        # How long a service's tasks must stay up before its rollout is COMPLETED (ECS waits too).
        self.steady_seconds = float(config.get("steadySeconds", 5))
        self._logs = logs_backend
        self._secrets = secrets_backend
        self._discovery = discovery_backend
        self._ecs_of = ecs_backend_of
        self._reconcile = reconcile
        self.tasks: dict[str, _Task] = {}
        self.cluster_ports: dict[str, dict[int, int]] = {}
        self.history: list[dict] = []
        self._databases: set[tuple[str, str]] = set()
        self._lock = threading.RLock()
        self._last_replacement: dict[str, float] = {}
        self.circuit_breaker_trips: dict[str, float] = {}
        os.makedirs(self.work_dir, exist_ok=True)
        threading.Thread(target=self._watch, name="ecs-agent", daemon=True).start()

    # ------------------------------------------------------------------ start
    def start(self, task: Any, task_def: Any) -> None:
        """Called when moto creates a task: runs its containers in a thread of their own."""
        with self._lock:
            self.tasks[task.task_arn] = _Task(task, task_def)
        threading.Thread(target=self._start, args=(task.task_arn,), daemon=True).start()

    def _start(self, arn: str) -> None:
        t = self.tasks[arn]
        t.home = os.path.join(self.work_dir, "tasks", t.task.id)
        os.makedirs(os.path.join(t.home, "airflow"), exist_ok=True)
        overrides = {o.get("name"): o for o in (t.task.overrides or {}).get("containerOverrides", [])}
        # Each container of a task has its own filesystem on ECS: when a task runs several
        # Airflow processes (the compact topology's core task), each gets its own home.
        real = [d for d in t.task_def.container_definitions if "firelensConfiguration" not in d]
        t.per_container_home = len(real) > 1
        try:
            for definition in t.task_def.container_definitions:
                name = definition.get("name")
                emulated = "firelensConfiguration" in definition
                c = _Container(name, definition.get("essential", True), emulated)
                c.log_target = self._log_target(definition, t.task.id)
                t.containers.append(c)
                if emulated:
                    continue
                override = overrides.get(name) or {}
                command = override.get("command") or definition.get("command") or []
                env = self._environment(t, definition, override)
                self._spawn(t, c, command, env)
            t.running_since = time.time()
        except Exception as error:  # a secret that does not resolve, a bad command: the task fails
            t.reason = f"CannotStartContainerError: {error}"
            self._log_line(t.containers[-1] if t.containers else None, f"[local ECS agent] {t.reason}")
            for c in t.containers:
                if c.process is None and c.exit_code is None:
                    c.exit_code = 1 if not c.emulated else 0
            self._terminate(t)
        self._write_state()

    def _log_target(self, definition: dict, task_id: str) -> tuple[str, str] | None:
        config = definition.get("logConfiguration") or {}
        options = config.get("options") or {}
        name = definition.get("name")
        if config.get("logDriver") == "awslogs" and options.get("awslogs-group"):
            prefix = options.get("awslogs-stream-prefix")
            return options["awslogs-group"], f"{prefix}/{name}/{task_id}" if prefix else task_id
        if config.get("logDriver") == "awsfirelens" and options.get("log_group_name"):
            prefix = (options.get("log_stream_prefix") or "").rstrip("/")
            return options["log_group_name"], f"{prefix}/{name}/{task_id}" if prefix else f"{name}/{task_id}"
        return None

    # ------------------------------------------------------------ environment
    def _environment(self, t: _Task, definition: dict, override: dict) -> dict[str, str]:
        cluster = t.task.cluster_name
        env: dict[str, str] = {}
        for item in definition.get("environment") or []:
            env[item["name"]] = item.get("value", "")
        for item in override.get("environment") or []:
            env[item["name"]] = item.get("value", "")
        for item in definition.get("secrets") or []:
            env[item["name"]] = self._resolve_secret(t.task, item["valueFrom"])
        ports = self._ports(cluster)
        env = {k: self._rewrite(cluster, v) for k, v in env.items()}
        for container_port, option in PORTS.items():
            env[option] = str(ports[container_port])
        for key, value in env.items():
            if key == "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" or key.endswith("RESULT_BACKEND"):
                self._ensure_database(value)
        venv_bin = os.path.join(self.venv, "bin")
        home = self._home(t, definition.get("name", ""))
        base = {
            "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
            "HOME": home,
            "AIRFLOW_HOME": os.path.join(home, "airflow"),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": ":".join(self.python_path),
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",
            "ECS_CONTAINER_METADATA_URI_V4": "",
            "NO_PROXY": "127.0.0.1,localhost",
        }
        base.update(env)
        return {k: v for k, v in base.items() if v != "" or k in env}

    def _home(self, t: _Task, container: str) -> str:
        if not t.per_container_home:
            return t.home
        home = os.path.join(t.home, container)
        os.makedirs(os.path.join(home, "airflow"), exist_ok=True)
        return home

    def _resolve_secret(self, task: Any, value_from: str) -> str:
        # arn:aws:secretsmanager:region:acct:secret:name-AbCdEf[:json-key:version-stage:version-id]
        parts = value_from.split(":")
        arn = ":".join(parts[:7])
        json_key = parts[7] if len(parts) > 7 and parts[7] else None
        stage = parts[8] if len(parts) > 8 and parts[8] else None
        version = parts[9] if len(parts) > 9 and parts[9] else None
        backend = self._secrets(task._account_id, task.region_name)
        secret = backend.get_secret_value(secret_id=arn, version_id=version, version_stage=stage)
        text = secret.get("SecretString")
        if json_key:
            return str(json.loads(text)[json_key])
        return text

    def _ports(self, cluster: str) -> dict[int, int]:
        with self._lock:
            if cluster not in self.cluster_ports:
                self.cluster_ports[cluster] = {p: _free_port() for p in PORTS}
            return self.cluster_ports[cluster]

    def _cloud_map_namespaces(self) -> list[str]:
        """Every private DNS namespace in Cloud Map: <service>.<namespace> is a VPC-only name.

        By namespace, not by registered service: a task may start before the service it
        calls is registered (ECS resolves the name at call time; here it is rewritten once).
        """
        names: list[str] = []
        try:
            for ecs in self._ecs_of():
                sd = self._discovery(ecs.account_id, ecs.region_name)
                names.extend(ns.name for ns in list(sd.namespaces.values()))
        except Exception:  # noqa: BLE001 - the name map is best effort while moto changes
            pass
        return sorted(set(names), key=len, reverse=True)

    def _rewrite(self, cluster: str, value: str) -> str:
        ports = self._ports(cluster)
        for namespace in self._cloud_map_namespaces():
            value = re.sub(
                r"[A-Za-z0-9-]+\." + re.escape(namespace) + r"(?::(\d+))?",
                lambda m: "127.0.0.1" + (f":{ports.get(int(m.group(1)), m.group(1))}" if m.group(1) else ""),
                value,
            )
        if self.postgres:
            value = RDS_HOST.sub(f"{self.postgres['host']}:{self.postgres['port']}", value)
        for image_path, local in self.path_map.items():
            if value == image_path or value.startswith(image_path + "/"):
                value = local + value[len(image_path):]
        return value

    def _ensure_database(self, url: str) -> None:
        """CREATE ROLE/DATABASE for the user and database a PostgreSQL URL names (RDS's job)."""
        m = re.match(r"^([\w+]+)://([^:@/]+)(?::([^@/]*))?@[^/]+/([\w-]+)", url)
        if not self.postgres or not m or "postgres" not in m.group(1):
            return
        user, password, database = m.group(2), m.group(3) or "", m.group(4)
        with self._lock:
            if (user, database) in self._databases:
                return
            import psycopg2  # the test virtualenv has the image's drivers

            conn = psycopg2.connect(host=self.postgres["host"], port=self.postgres["port"],
                                    user=self.postgres["user"], dbname="postgres")
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user,))
                if not cur.fetchone():
                    cur.execute(f'CREATE ROLE "{user}" LOGIN PASSWORD %s', (password,))
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
                if not cur.fetchone():
                    cur.execute(f'CREATE DATABASE "{database}" OWNER "{user}"')
            conn.close()
            self._databases.add((user, database))

    # ---------------------------------------------------------------- process
    def _argv(self, command: list[str]) -> list[str]:
        """What the image's entrypoint runs: airflow <command>, or bash/python as given."""
        if not command:
            return [os.path.join(self.venv, "bin", "airflow"), "version"]
        if command[0] in SHELLS or command[0] == "airflow":
            head = command[0].rsplit("/", 1)[-1]
            if head in ("python", "python3", "airflow"):
                return [os.path.join(self.venv, "bin", head), *command[1:]]
            return command
        return [os.path.join(self.venv, "bin", "airflow"), *command]

    def _spawn(self, t: _Task, c: _Container, command: list[str], env: dict[str, str]) -> None:
        argv = self._argv(command)
        self._log_line(c, None)
        c.process = subprocess.Popen(
            argv, cwd=env.get("HOME", t.home), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        c.pump = threading.Thread(target=self._pump, args=(c, os.path.join(t.home, f"{c.name}.log")), daemon=True)
        c.pump.start()

    def _pump(self, c: _Container, copy_to: str) -> None:
        """The container's output to CloudWatch, and a copy beside its task for debugging."""
        assert c.process and c.process.stdout
        with open(copy_to, "ab") as copy:
            for raw in iter(c.process.stdout.readline, b""):
                copy.write(raw)
                copy.flush()
                self._log_line(c, raw.decode("utf-8", "replace").rstrip("\n"))

    def _log_line(self, c: _Container | None, line: str | None) -> None:
        if c is None or c.log_target is None:
            return
        group, stream = c.log_target
        try:
            backend = self._logs()
            if group not in backend.groups:
                return
            if stream not in backend.groups[group].streams:
                backend.create_log_stream(group, stream)
            if line:
                backend.put_log_events(group, stream, [{"timestamp": int(time.time() * 1000), "message": line}])
        except Exception:  # noqa: BLE001 - a log line must never take the agent down
            pass

    # ---------------------------------------------------------------- watcher
    def _watch(self) -> None:
        ticks = 0
        while True:
            time.sleep(0.3)
            ticks += 1
            try:
                self._tick()
                if ticks % 5 == 0:
                    self._sample_memory()
            except Exception:  # noqa: BLE001 - keep watching whatever moto does meanwhile
                pass

    def _sample_memory(self) -> None:
        """Peak RSS per container: the sum over its process group (Celery and gunicorn fork)."""
        page_mib = os.sysconf("SC_PAGE_SIZE") / 2**20
        by_group: dict[int, float] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    group = int(f.read().rsplit(")", 1)[1].split()[2])
                with open(f"/proc/{entry}/statm") as f:
                    rss = int(f.read().split()[1]) * page_mib
            except (OSError, ValueError, IndexError):
                continue
            by_group[group] = by_group.get(group, 0.0) + rss
        for t in list(self.tasks.values()):
            for c in t.containers:
                if c.process is not None and c.exit_code is None:
                    c.peak_rss_mib = max(c.peak_rss_mib, by_group.get(c.process.pid, 0.0))
        self._write_state()

    def _tick(self) -> None:
        changed = False
        for arn, t in list(self.tasks.items()):
            if t.stopped:
                continue
            for c in t.containers:
                if c.process is not None and c.exit_code is None and c.process.poll() is not None:
                    if c.pump:
                        c.pump.join(timeout=2)
                    c.exit_code = _exit_code(c.process.returncode)
                    changed = True
            exited = [c for c in t.containers if c.essential and c.exit_code is not None and not c.emulated]
            if exited and t.stop_deadline is None:
                t.reason = t.reason or "Essential container in task exited"
                self._terminate(t)
            if t.task.desired_status == "STOPPED" and t.stop_deadline is None:
                t.reason = t.reason or (t.task.stopped_reason or "Task stopped by the ECS API")
                self._terminate(t)
            if t.stop_deadline is not None:
                alive = [c for c in t.containers if c.process is not None and c.process.poll() is None]
                if alive and time.time() > t.stop_deadline:
                    for c in alive:
                        _signal(c.process, signal.SIGKILL)
                if not alive:
                    self._mark_stopped(t)
                    changed = True
        if self._replace_missing_service_tasks():
            changed = True
        if self._complete_rollouts():
            changed = True
        if changed:
            self._write_state()

    def _terminate(self, t: _Task) -> None:
        timeout = max((d.get("stopTimeout") or 30) for d in t.task_def.container_definitions)
        t.stop_deadline = time.time() + float(timeout)
        for c in t.containers:
            if c.process is not None and c.process.poll() is None:
                _signal(c.process, signal.SIGTERM)

    def _mark_stopped(self, t: _Task) -> None:
        for c in t.containers:
            if c.exit_code is None:
                c.exit_code = _exit_code(c.process.poll() or 0) if c.process else 0
        for moto_container, c in zip(t.task.containers, t.containers):
            moto_container.last_status = moto_container.lastStatus = "STOPPED"
            moto_container.exitCode = moto_container.exit_code = c.exit_code
        t.task.desired_status = "STOPPED"
        t.task.status = "STOPPED"
        if not t.task.stopped_reason:
            t.task.stopped_reason = t.reason
        t.stopped = True
        t.stopped_at = time.time()
        t.task.stopped_at = t.task.stoppedAt = t.stopped_at

    def _replace_missing_service_tasks(self) -> bool:
        """A service task that stopped on its own is replaced, as the ECS scheduler does."""
        changed = False
        for ecs in self._ecs_of():
            for service in list(ecs.services.values()):
                if service.status != "ACTIVE" or not service.desired_count:
                    continue
                running = [t for t in self.tasks.values()
                           if t.task.group == f"service:{service.name}" and not t.stopped
                           and t.task.desired_status == "RUNNING"]
                if len(running) >= int(service.desired_count):
                    continue
                if self._circuit_breaker(service):
                    changed = True
                    continue
                last = self._last_replacement.get(service.arn, 0)
                if time.time() - last < self.restart_delay:
                    continue
                self._last_replacement[service.arn] = time.time()
                self._reconcile(ecs, service)
                changed = True
        return changed

    def _complete_rollouts(self) -> bool:
        """A rollout is COMPLETED once the desired tasks have stayed up steady_seconds."""
        changed = False
        now = time.time()
        for ecs in self._ecs_of():
            for service in list(ecs.services.values()):
                primary = next((d for d in service.deployments or [] if d.get("status") == "PRIMARY"), None)
                if primary is None or primary.get("rolloutState") in ("COMPLETED", "FAILED"):
                    continue
                up = [t for t in self.tasks.values()
                      if t.task.group == f"service:{service.name}" and self._steady(t, now)]
                if len(up) >= int(service.desired_count or 0):
                    primary["rolloutState"] = "COMPLETED"
                    primary["rolloutStateReason"] = f"ECS deployment {primary.get('id')} completed."
                    changed = True
        return changed

    def _steady(self, t: _Task, now: float) -> bool:
        """Up and staying up: all containers started steady_seconds ago, every essential one still
        running now (checked here, not from the last tick: a task whose container exited while
        this thread was starved of CPU must not count), and nothing is stopping it."""
        if t.stopped or t.stop_deadline is not None or t.task.desired_status != "RUNNING":
            return False
        if t.running_since is None or now - t.running_since < self.steady_seconds:
            return False
        return all(c.process is not None and c.process.poll() is None
                   for c in t.containers if c.essential and not c.emulated)

    def _circuit_breaker(self, service: Any) -> bool:
        """True when the service's rollout failed (now or before): ECS starts no more tasks."""
        breaker = (getattr(service, "deployment_configuration", None) or {}).get("deploymentCircuitBreaker") or {}
        primary = next((d for d in service.deployments or [] if d.get("status") == "PRIMARY"), None)
        if not breaker.get("enable") or primary is None:
            return False
        if primary.get("rolloutState") == "FAILED":
            return True
        definition = service.task_definition if isinstance(service.task_definition, str) else service.task_definition.arn
        failed = [
            t for t in self.tasks.values()
            if t.task.group == f"service:{service.name}" and t.stopped and t.task.task_definition_arn == definition
            and any(c.essential and not c.emulated and c.exit_code not in (None, 0) for c in t.containers)
        ]
        threshold = max(3, min(200, -(-int(service.desired_count) // 2)))
        if len(failed) < threshold:
            return False
        primary["rolloutState"] = "FAILED"
        primary["failedTasks"] = len(failed)
        primary["rolloutStateReason"] = f"ECS deployment circuit breaker: {len(failed)} tasks failed to start or exited."
        self.circuit_breaker_trips[service.name] = time.time()
        return True

    def running_task(self, arn: str) -> bool:
        t = self.tasks.get(arn)
        return t is not None and not t.stopped

    # ------------------------------------------------------------------ state
    def _write_state(self) -> None:
        with self._lock:
            state = {
                "clusterPorts": {k: {str(p): v for p, v in ports.items()} for k, ports in self.cluster_ports.items()},
                "circuitBreakerTrips": dict(self.circuit_breaker_trips),
                "hostMap": HOST_MAP_DOC,
                "tasks": [
                    {
                        "taskArn": arn,
                        "taskId": t.task.id,
                        "cluster": t.task.cluster_name,
                        "group": t.task.group,
                        "family": t.task_def.family,
                        "startedAt": t.started_at,
                        "stoppedAt": t.stopped_at,
                        "stopped": t.stopped,
                        "reason": t.reason,
                        "home": t.home,
                        "containers": [
                            {"name": c.name, "pid": c.process.pid if c.process else None,
                             "exitCode": c.exit_code, "emulated": c.emulated,
                             "peakRssMiB": round(c.peak_rss_mib, 1),
                             "logGroup": c.log_target[0] if c.log_target else None,
                             "logStream": c.log_target[1] if c.log_target else None}
                            for c in t.containers
                        ],
                    }
                    for arn, t in self.tasks.items()
                ],
            }
            path = os.path.join(self.work_dir, "state.json")
            tmp = f"{path}.{uuid.uuid4().hex}"
            with open(tmp, "w") as f:
                json.dump(state, f, indent=1)
            os.replace(tmp, path)

    def shutdown(self) -> None:
        """Stops every process (the whole process group of each) when moto stops."""
        for t in list(self.tasks.values()):
            for c in t.containers:
                if c.process is not None and c.process.poll() is None:
                    _signal(c.process, signal.SIGTERM)
        deadline = time.time() + 10
        for t in list(self.tasks.values()):
            for c in t.containers:
                if c.process is None:
                    continue
                try:
                    c.process.wait(timeout=max(0.1, deadline - time.time()))
                except subprocess.TimeoutExpired:
                    pass
                _signal(c.process, signal.SIGKILL)


def _signal(process: subprocess.Popen, sig: int) -> None:
    """Signals the container's whole process group (Celery and gunicorn fork children)."""
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
