"""The local stack and the image files: consistent with each other and with the repo
(there is no Docker engine here, so this checks what compose and buildx would read)."""

import ast
import fnmatch
import os
import py_compile
import re
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
AIRFLOW_SERVICES = ["airflow-init", "airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker"]
LONG_RUNNING = [name for name in AIRFLOW_SERVICES if name != "airflow-init"]
CONTAINERFILES = [ROOT / "build/prod/Containerfile", ROOT / "build/dev/Containerfile"]
SECRETS_DIR = "/opt/airflow/secrets"
FERNET_KEY_FILE = f"{SECRETS_DIR}/fernet_key"
# pytest runs in the tests' virtualenv, which has the image's Airflow: it checks that Airflow
# itself reads the key the way compose gives it.
AIRFLOW_PYTHON = Path(sys.executable)


def test_compose_has_the_ecs_topology():
    assert set(SERVICES) == {"postgres", "elasticmq", *AIRFLOW_SERVICES}
    assert {name: SERVICES[name]["command"] for name in LONG_RUNNING} == {
        "airflow-api-server": "api-server",
        "airflow-scheduler": "scheduler",
        "airflow-dag-processor": "dag-processor",
        "airflow-triggerer": "triggerer",
        "airflow-worker": "celery worker",
    }
    assert SERVICES["postgres"]["image"] == "postgres:17"
    assert SERVICES["elasticmq"]["image"].startswith("softwaremill/elasticmq-native:")
    assert SERVICES["airflow-api-server"]["ports"] == ["8080:8080"]


def test_init_migrates_and_creates_the_admin_user_from_a_dev_only_env_default():
    init = SERVICES["airflow-init"]
    script = " ".join(init["command"])
    assert "airflow db migrate" in script
    assert "airflow users create" in script and "--role Admin" in script
    # $$ in compose is a literal $: the password comes from the container's environment.
    assert '--password "$${AIRFLOW_ADMIN_PASSWORD}"' in script
    assert init["environment"]["AIRFLOW_ADMIN_PASSWORD"] == "${AIRFLOW_ADMIN_PASSWORD:-admin}"
    assert "LOCAL DEVELOPMENT ONLY" in (ROOT / "docker-compose.yml").read_text()
    assert init["restart"] == "no"


def test_services_start_in_order_with_health_conditions():
    assert SERVICES["airflow-init"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in LONG_RUNNING:
        depends = SERVICES[name]["depends_on"]
        assert depends["airflow-init"] == {"condition": "service_completed_successfully"}, name
        assert depends["postgres"] == {"condition": "service_healthy"}, name
    assert SERVICES["airflow-worker"]["depends_on"]["airflow-api-server"] == {"condition": "service_healthy"}
    for name in ["postgres", "airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"]:
        assert SERVICES[name]["healthcheck"]["test"], name
    assert "/api/v2/monitor/health" in " ".join(SERVICES["airflow-api-server"]["healthcheck"]["test"])


def test_every_airflow_service_builds_from_existing_files_and_mounts_existing_paths():
    for name in AIRFLOW_SERVICES:
        service = SERVICES[name]
        build = service["build"]
        assert (ROOT / build["context"] / build["dockerfile"]).is_file(), name
        assert service["image"].endswith(":" + pins("build/requirements.txt")["apache-airflow"]), f"{name}: tagged with the pinned Airflow"
        targets = {}
        for volume in service["volumes"]:
            source, target = volume.split(":")[:2]
            if source.startswith("."):
                assert (ROOT / source).exists(), volume
            else:
                assert source in COMPOSE["volumes"], f"named volume {source} is declared"
            targets[target] = source
        assert targets == {
            "/opt/airflow/dags": "./dags", "/opt/airflow/plugins": "./plugins", "/opt/airflow/src/airflow_ecs": "./airflow_ecs",
            SECRETS_DIR: "airflow-secrets",
        }
    for volume in SERVICES["elasticmq"]["volumes"]:
        assert (ROOT / volume.split(":")[0]).is_file(), volume


def test_environment_wires_our_python_package_and_the_predefined_queue():
    for name in AIRFLOW_SERVICES:
        env = SERVICES[name]["environment"]
        for key in [
            "AIRFLOW__CORE__EXECUTOR", "AIRFLOW__CORE__AUTH_MANAGER", "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__BROKER_URL",
            "AIRFLOW__CELERY__RESULT_BACKEND", "AIRFLOW_ECS_SQS_QUEUE_URL",
        ]:
            assert key in env, (name, key)
    env = SERVICES["airflow-worker"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CORE__AUTH_MANAGER"] == "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-api-server:8080/execution/"
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("sqs://") and "@elasticmq:9324" in env["AIRFLOW__CELERY__BROKER_URL"]
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://") and "@postgres:5432/" in env["AIRFLOW__CELERY__RESULT_BACKEND"]
    for key, attr in [("AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS", "CELERY_CONFIG"), ("AIRFLOW__LOGGING__LOGGING_CONFIG_CLASS", "LOGGING_CONFIG")]:
        module, name = env[key].rsplit(".", 1)
        source = ROOT / (module.replace(".", "/") + ".py")
        assert source.is_file(), key
        assigned = {t.id for node in ast.walk(ast.parse(source.read_text())) if isinstance(node, (ast.Assign, ast.AnnAssign))
                    for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)}
        assert name == attr and attr in assigned, key
    queue_url = env["AIRFLOW_ECS_SQS_QUEUE_URL"]
    assert queue_url.startswith("http://elasticmq:9324/")
    queue = queue_url.rsplit("/", 1)[1]
    conf = (ROOT / "build/dev/elasticmq.conf").read_text()
    queues_block = conf[conf.index("queues {"):]
    assert re.search(rf"^\s*{re.escape(queue)}\s*{{", queues_block, re.M), "the queue is predefined in ElasticMQ"
    assert re.search(r"host\s*=\s*elasticmq", conf) and re.search(r"port\s*=\s*9324", conf), "queue URLs name the compose host"


def fernet_key_step() -> str:
    """What airflow-init runs before any airflow command, as bash will see it ($$ is compose's $)."""
    command = SERVICES["airflow-init"]["command"]
    assert command[:2] == ["bash", "-c"] and len(command) == 3
    script = command[2]
    step = script[: script.index("airflow db migrate")].rstrip()
    assert step.endswith("&&") and FERNET_KEY_FILE in step, "the key is in place before airflow starts"
    assert "${" not in step.replace("$${", ""), "only $$: compose must not interpolate the key step"
    return step.removesuffix("&&").replace("$$", "$")


def run_fernet_key_step(tmp_path: Path, **env: str) -> Path:
    """Runs the key step for real, with the volume in tmp_path and `python` the interpreter running pytest."""
    pytest.importorskip("cryptography")
    secrets, bindir = tmp_path / "secrets", tmp_path / "bin"
    secrets.mkdir(exist_ok=True)
    bindir.mkdir(exist_ok=True)
    (bindir / "python").write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n')
    (bindir / "python").chmod(0o755)
    step = fernet_key_step().replace(SECRETS_DIR, str(secrets))
    subprocess.run(["bash", "-c", step], env={"PATH": f"{bindir}:{os.environ['PATH']}", **env}, check=True, timeout=60)
    return secrets / "fernet_key"


def test_no_service_can_run_without_a_fernet_key():
    """An empty AIRFLOW__CORE__FERNET_KEY stores connections and variables unencrypted; set at all, it
    wins over the _CMD. Every service reads the one key that airflow-init puts in the shared volume."""
    assert "airflow-secrets" in COMPOSE["volumes"]
    for name in AIRFLOW_SERVICES:
        env = SERVICES[name]["environment"]
        assert not [k for k in env if k.startswith("AIRFLOW__CORE__FERNET_KEY") and k != "AIRFLOW__CORE__FERNET_KEY_CMD"], name
        assert shlex.split(env["AIRFLOW__CORE__FERNET_KEY_CMD"]) == ["cat", FERNET_KEY_FILE], name
        mounts = {v.split(":")[1]: v for v in SERVICES[name]["volumes"]}
        expected = f"airflow-secrets:{SECRETS_DIR}" if name == "airflow-init" else f"airflow-secrets:{SECRETS_DIR}:ro"
        assert mounts[SECRETS_DIR] == expected, name
    assert SERVICES["airflow-init"]["environment"]["AIRFLOW_FERNET_KEY"] == "${AIRFLOW_FERNET_KEY:-}"
    for name in LONG_RUNNING:
        assert "AIRFLOW_FERNET_KEY" not in SERVICES[name]["environment"], f"{name}: only airflow-init takes the user's key"
    # A new named volume takes the owner of the image's directory: airflow-init (user airflow) can write it.
    assert f"RUN mkdir -m 0700 {SECRETS_DIR}" in stages(ROOT / "build/dev/Containerfile")[-1]


def test_init_generates_a_fernet_key_once_and_a_given_key_wins(tmp_path):
    from cryptography.fernet import Fernet

    key_file = run_fernet_key_step(tmp_path)
    generated = key_file.read_text()
    assert Fernet(generated.encode()).decrypt(Fernet(generated.encode()).encrypt(b"x")) == b"x", "a valid Fernet key"
    assert generated == generated.strip(), "just the key, no newline"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not (tmp_path / "secrets" / "fernet_key.new").exists()

    assert run_fernet_key_step(tmp_path).read_text() == generated, "kept on the next `up`: data stays readable"
    assert run_fernet_key_step(tmp_path, AIRFLOW_FERNET_KEY="").read_text() == generated, "compose's empty default"

    given = Fernet.generate_key().decode()
    assert run_fernet_key_step(tmp_path, AIRFLOW_FERNET_KEY=given).read_text() == given, "AIRFLOW_FERNET_KEY wins"
    assert run_fernet_key_step(tmp_path).read_text() == given, "and stays when no longer given"


def test_airflow_encrypts_with_the_key_the_services_read(tmp_path):
    key_file = run_fernet_key_step(tmp_path)
    key_cmd = SERVICES["airflow-worker"]["environment"]["AIRFLOW__CORE__FERNET_KEY_CMD"].replace(SECRETS_DIR, str(tmp_path / "secrets"))
    probe = """
import os
from airflow.configuration import conf
from airflow.models.connection import Connection
from airflow.models.crypto import get_fernet

conn = Connection(conn_id="probe", conn_type="http", password="s3cret")
assert conn.is_encrypted and conn._password != "s3cret", "stored encrypted"
print("PROBE key", conf.get("core", "fernet_key"))
# No key file (airflow-init did not run): an error, never a silent clear-text store.
os.environ["AIRFLOW__CORE__FERNET_KEY_CMD"] += ".missing"
get_fernet.cache_clear()
try:
    Connection(conn_id="probe", conn_type="http", password="s3cret")
    print("PROBE missing stored")
except Exception as error:
    print("PROBE missing", type(error).__name__)
# What the old compose file did: an empty AIRFLOW__CORE__FERNET_KEY wins over the _CMD.
os.environ["AIRFLOW__CORE__FERNET_KEY"] = ""
get_fernet.cache_clear()
print("PROBE encrypted", Connection(conn_id="probe", conn_type="http", password="s3cret").is_encrypted)
"""
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "AIRFLOW_HOME": str(tmp_path / "airflow"), "AIRFLOW__CORE__FERNET_KEY_CMD": key_cmd}
    result = subprocess.run([str(AIRFLOW_PYTHON), "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    probed = dict(line.split()[1:] for line in result.stdout.splitlines() if line.startswith("PROBE "))
    assert probed["key"] == key_file.read_text(), "Airflow's [core] fernet_key is the volume's key"
    assert probed["missing"] == "AirflowConfigException"
    assert probed["encrypted"] == "False"


def stages(containerfile: Path) -> list[list[str]]:
    """The Containerfile's lines, one list per FROM stage (continuations joined)."""
    result: list[list[str]] = []
    for line in containerfile.read_text().replace("\\\n", " ").splitlines():
        if line.startswith("FROM "):
            result.append([])
        if result and line.strip() and not line.startswith("#"):
            result[-1].append(line)
    return result


def copy_sources(containerfile: Path) -> list[str]:
    sources = []
    for stage in stages(containerfile):
        for line in stage:
            if line.startswith("COPY ") and "--from=" not in line:
                parts = [p for p in line.split()[1:] if not p.startswith("--")]
                sources.extend(parts[:-1])
    return sources


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [l.strip() for l in lines if l.strip() and not l.startswith("#")]


def test_containerfiles_copy_files_that_exist_and_the_context_keeps():
    patterns = dockerignore_patterns()
    for path in CONTAINERFILES:
        sources = copy_sources(path)
        assert sources, path
        for source in sources:
            assert (ROOT / source).exists(), f"{path.name}: COPY {source}"
            assert not any(fnmatch.fnmatch(source, p) or source.startswith(p.rstrip("/") + "/") for p in patterns), f".dockerignore drops {source}"
    for excluded in ["node_modules", "dist", ".git", "infra-terraform/.terraform", "test"]:
        assert excluded in patterns, excluded


def pins(path):
    """name -> version of every `name==version` line (extras dropped), comments skipped."""
    found = {}
    for line in (ROOT / path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        m = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^]]*\])?==([^\s;]+)$", line)
        if m:
            found[m.group(1).lower().replace("_", "-")] = m.group(2)
    return found


def test_both_images_build_the_pinned_airflow_on_the_slim_base_and_the_tests_python():
    airflow = pins("build/requirements.txt")["apache-airflow"]
    tests_python = "%d.%d" % sys.version_info[:2]
    for path in CONTAINERFILES:
        text = path.read_text()
        assert re.search(rf"^ARG AIRFLOW_VERSION={re.escape(airflow)}$", text, re.M), f"{path}: AIRFLOW_VERSION must be {airflow}, the pin in build/requirements.txt"
        assert re.search(rf"^ARG PYTHON_VERSION={re.escape(tests_python)}$", text, re.M), f"{path}: PYTHON_VERSION must be {tests_python}, the Python the tests run Airflow on"
        froms = [stage[0] for stage in stages(path)]
        assert froms and all(f.startswith("FROM apache/airflow:slim-${AIRFLOW_VERSION}-python${PYTHON_VERSION}") for f in froms), froms
        assert "--constraint /tmp/constraints.txt" in text and "raw.githubusercontent.com" not in text
        assert "COPY build/requirements.txt build/constraints.txt /tmp/" in text or "COPY build/constraints.txt /tmp/constraints.txt" in text


def test_the_infra_default_image_is_the_pinned_airflow():
    airflow = pins("build/requirements.txt")["apache-airflow"]
    python = "%d.%d" % sys.version_info[:2]
    variables = (ROOT / "infra-terraform/variables.tf").read_text()
    assert f'default     = "apache/airflow:slim-{airflow}-python{python}"' in variables


def test_one_pinned_set_for_the_image_and_the_tests():
    requirements = pins("build/requirements.txt")
    constraints = pins("build/constraints.txt")
    # Every requirement is pinned, and the constraints agree with it.
    names = [l.split("==")[0].strip() for l in (ROOT / "build/requirements.txt").read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert all(n.lower() in requirements for n in names), "every line of build/requirements.txt is name==version"
    assert {n: constraints.get(n) for n in requirements} == requirements
    for needed in ["apache-airflow", "apache-airflow-providers-amazon", "apache-airflow-providers-celery", "apache-airflow-providers-fab", "psycopg2-binary", "asyncpg", "pycurl"]:
        assert needed in constraints, needed
    # The tests install exactly that file, plus their own tools.
    test_requirements = (ROOT / "test/requirements.txt").read_text()
    assert "-r ../build/requirements.txt" in test_requirements


def test_the_tests_run_on_exactly_the_pinned_packages():
    """This pytest runs in the tests' virtualenv: what is installed is what the image gets."""
    from importlib.metadata import PackageNotFoundError, version

    drift = {}
    for name, pinned in pins("build/constraints.txt").items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            drift[name] = (pinned, installed)
    assert drift == {}, f"pinned vs installed: {drift}"
    import asyncpg  # noqa: F401 - the api-server's async engine
    import psycopg2  # noqa: F401 - the metadata database driver
    import pycurl  # noqa: F401 - kombu's SQS transport


def test_prod_image_is_multi_stage_without_build_tools_and_runs_as_airflow():
    path = ROOT / "build/prod/Containerfile"
    build, final = stages(path)
    assert build[0].endswith(" AS build")
    assert any("gcc" in l and "libcurl4-openssl-dev" in l and "libssl-dev" in l for l in build)
    final_text = "\n".join(final)
    assert "COPY --from=build /tmp/wheels" in final_text
    assert not re.search(r"\bgcc\b|-dev\b", final_text), "no compiler or headers in the final stage"
    users = [l for l in final if l.startswith("USER ")]
    assert users[-1] == "USER airflow"
    assert final[-1] == "WORKDIR /opt/airflow"
    assert "COPY --chown=airflow:root dags /opt/airflow/dags" in final
    assert "COPY --chown=airflow:root plugins /opt/airflow/plugins" in final
    assert any(l.startswith("RUN pip install") and "/opt/airflow/src" in l for l in final), "airflow_ecs is installed"


def test_pyproject_packages_airflow_ecs_and_runs_these_tests():
    import tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["tool"]["setuptools"]["packages"] == ["airflow_ecs"]
    assert pyproject["tool"]["pytest"]["ini_options"]["testpaths"] == ["test/python"]


def test_the_example_dag_compiles_and_uses_the_airflow3_sdk(tmp_path):
    dag = ROOT / "dags/example_worker_dag.py"
    py_compile.compile(str(dag), cfile=str(tmp_path / "dag.pyc"), doraise=True)
    imports = {(n.module, a.name) for n in ast.walk(ast.parse(dag.read_text())) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert {("airflow.sdk", "dag"), ("airflow.sdk", "task")} <= imports
    assert not any(m and m.startswith("airflow.") and m != "airflow.sdk" for m, _ in imports), "Airflow 3: only the SDK"
    for other in (ROOT / "dags").glob("*.py"):
        py_compile.compile(str(other), cfile=str(tmp_path / f"{other.stem}.pyc"), doraise=True)
    assert (ROOT / "plugins/.gitkeep").exists()
