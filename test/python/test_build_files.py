"""The local stack and the image files: consistent with each other and with the repo
(there is no Docker engine here, so this checks what compose and buildx would read)."""

import ast
import fnmatch
import py_compile
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
AIRFLOW_SERVICES = ["airflow-init", "airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker"]
LONG_RUNNING = [name for name in AIRFLOW_SERVICES if name != "airflow-init"]
CONTAINERFILES = [ROOT / "build/prod/Containerfile", ROOT / "build/dev/Containerfile"]


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
        assert service["image"].endswith(":3.3.0"), name
        targets = {}
        for volume in service["volumes"]:
            source, target = volume.split(":")[:2]
            assert (ROOT / source).exists(), volume
            targets[target] = source
        assert targets == {"/opt/airflow/dags": "./dags", "/opt/airflow/plugins": "./plugins", "/opt/airflow/src/airflow_ecs": "./airflow_ecs"}
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
