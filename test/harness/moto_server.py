"""moto 5.2.1 launcher for the airflow-ecs test suite.

moto is a real AWS API emulator, but it has gaps that the CLI and the Terraform AWS
provider run into. Every workaround lives here, in the test harness, never in product
code. Each patch says which gap it closes.

Usage: python3 test/harness/moto_server.py PORT
"""

import base64
import json
import os
import sys
import time
import uuid

# Gap: IAM managed policies (AmazonECSTaskExecutionRolePolicy, ...) only load with this.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from moto.applicationautoscaling import responses as aas_responses  # noqa: E402
from moto.ec2.models.elastic_network_interfaces import NetworkInterface  # noqa: E402
from moto.core.utils import utcnow  # noqa: E402
from moto.ecs import models as ecs_models  # noqa: E402
from moto.ecs import responses as ecs_responses  # noqa: E402
from moto.logs.models import logs_backends  # noqa: E402

# The local ECS agent (ecs_agent.py beside this file): with AIRFLOW_ECS_LOCAL_AGENT naming
# its config file, the containers of every task ECS would start run as local processes.
AGENT = None
if os.environ.get("AIRFLOW_ECS_LOCAL_AGENT"):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from ecs_agent import LocalAgent  # noqa: E402
    from moto.secretsmanager.models import secretsmanager_backends  # noqa: E402
    from moto.servicediscovery.models import servicediscovery_backends  # noqa: E402

    def _ecs_backends():
        return [b for regions in ecs_models.ecs_backends.values() for b in regions.values()]

    with open(os.environ["AIRFLOW_ECS_LOCAL_AGENT"]) as _f:
        _agent_config = json.load(_f)
    # The containers reach AWS (this moto) the way the tests do.
    _agent_config.setdefault("endpoint", f"http://127.0.0.1:{sys.argv[1] if len(sys.argv) > 1 else 5000}")
    AGENT = LocalAgent(
        _agent_config,
        logs_backend=lambda: logs_backends[_agent_config.get("account", "123456789012")][_agent_config.get("region", "us-east-1")],
        secrets_backend=lambda account, region: secretsmanager_backends[account][region],
        discovery_backend=lambda account, region: servicediscovery_backends[account][region],
        ecs_backend_of=_ecs_backends,
        reconcile=lambda backend, service: _reconcile(backend, service),
    )

# ---------------------------------------------------------------------------
# Gap: RunTask with awsvpc reads NetworkInterface.private_dns_name, which moto only
# sets when the VPC has DNS hostnames enabled -> AttributeError -> HTTP 500.
NetworkInterface.private_dns_name = None

# ---------------------------------------------------------------------------
# Gap: RunTask crashes (TypeError -> HTTP 500) when a container definition has no
# memory of its own, which is normal on Fargate (memory is set at task level).
_orig_requirements = ecs_models.EC2ContainerServiceBackend._calculate_task_resource_requirements


def _requirements(task_definition):
    try:
        return _orig_requirements(task_definition)
    except TypeError:
        return {"CPU": int(task_definition.cpu or 0),
                "MEMORY": int(task_definition.memory or 0),
                "PORTS": [], "PORTS_UDP": []}


ecs_models.EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(_requirements)

# ---------------------------------------------------------------------------
# Gap: a task has a single container (the first definition), no runtimeId, and the
# container never leaves PENDING. Real ECS reports every container of the task.
_orig_task_init = ecs_models.Task.__init__


def _task_init(self, *args, **kwargs):
    _orig_task_init(self, *args, **kwargs)
    task_def = kwargs.get("task_definition") or args[1]
    containers = []
    for definition in task_def.container_definitions:
        container = ecs_models.Container(task_def)
        container.name = definition.get("name")
        container.image = definition.get("image")
        container.command = definition.get("command")
        container.environment = definition.get("environment")
        container.cpu = definition.get("cpu")
        container.memory = definition.get("memory")
        container.runtime_id = f"{self.id}-{uuid.uuid4().hex[:10]}"
        container.runtimeId = container.runtime_id
        container.last_status = "RUNNING"
        container.lastStatus = "RUNNING"
        containers.append(container)
    if containers:
        self.containers = containers
    self.started_at = time.time()
    self.startedAt = self.started_at
    self.enable_execute_command = _exec_enabled_for(self)
    if AGENT is not None:
        AGENT.start(self, task_def)
    else:
        _write_fake_container_logs(self, task_def)


ecs_models.Task.__init__ = _task_init

# Gap: every DescribeTasks advances a task one state, so service tasks "stop" after a
# few polls. Service tasks stay RUNNING until the service lets them go.
_orig_advance = ecs_models.Task.advance


def _advance(self):
    if (self.group or "").startswith("service:") and self.desired_status == "RUNNING":
        return
    if AGENT is not None and self.task_arn in AGENT.tasks:
        return  # the agent stops the task when its process exits
    _orig_advance(self)
    if self.status == "STOPPED":
        for container in self.containers:
            container.last_status = "STOPPED"
            container.lastStatus = "STOPPED"


ecs_models.Task.advance = _advance


# ---------------------------------------------------------------------------
# Gap: nothing writes container logs. A real container prints its command; the fake
# one writes one line per container into the CloudWatch stream its log configuration
# names (awslogs: <group>, <prefix>/<container>/<task id>), so `logs` and
# `task --wait` can be tested end to end.
def _container_log_target(definition, task_id):
    config = definition.get("logConfiguration") or {}
    options = config.get("options") or {}
    if config.get("logDriver") == "awslogs" and options.get("awslogs-group"):
        prefix = options.get("awslogs-stream-prefix")
        name = definition.get("name")
        stream = f"{prefix}/{name}/{task_id}" if prefix else task_id
        return options["awslogs-group"], stream
    if config.get("logDriver") == "awsfirelens" and options.get("log_group_name"):
        # Our FireLens cloudwatch output names streams like awslogs does.
        prefix = (options.get("log_stream_prefix") or "").rstrip("/")
        name = definition.get("name")
        stream = f"{prefix}/{name}/{task_id}" if prefix else f"{name}/{task_id}"
        return options["log_group_name"], stream
    return None


def _write_fake_container_logs(task, task_def):
    backend = logs_backends[task._account_id][task.region_name]
    overrides = {
        o.get("name"): o for o in (task.overrides or {}).get("containerOverrides", [])
    }
    for definition in task_def.container_definitions:
        target = _container_log_target(definition, task.id)
        if not target:
            continue
        group, stream = target
        if group not in backend.groups:
            continue
        command = (overrides.get(definition.get("name")) or {}).get("command") or (
            definition.get("command") or []
        )
        try:
            backend.create_log_stream(group, stream)
        except Exception:  # stream exists already
            pass
        now = int(time.time() * 1000)
        backend.put_log_events(
            group,
            stream,
            [
                {"timestamp": now, "message": f"starting: {' '.join(command)}"},
                {"timestamp": now + 1, "message": "done"},
            ],
        )


# ---------------------------------------------------------------------------
# Gap: services launch no tasks, and ListTasks ignores serviceName. Keep each service
# at its desired count of RUNNING tasks (group "service:<name>", like real ECS).
def _service_tasks(backend, cluster_name, service_name):
    return [
        t
        for t in backend.tasks.get(cluster_name, {}).values()
        if t.group == f"service:{service_name}" and t.desired_status == "RUNNING"
    ]


def _arn_of(task_definition):
    """A service's task definition as moto keeps it (an ARN, or the definition object) as an ARN."""
    return task_definition if isinstance(task_definition, str) or task_definition is None else task_definition.arn


def _reconcile(backend, service):
    cluster_name = service.cluster_name
    task_def_ref = _arn_of(service.task_definition)
    if task_def_ref is None:
        return
    cluster = backend._get_cluster(cluster_name)
    task_def = backend.describe_task_definition(task_def_ref)
    running = _service_tasks(backend, cluster_name, service.name)
    backend.tasks.setdefault(cluster_name, {})
    for _ in range(max(0, int(service.desired_count or 0) - len(running))):
        task = ecs_models.Task(
            cluster=cluster,
            task_definition=task_def,
            container_instance_arn=None,
            resource_requirements=None,
            backend=backend,
            group=f"service:{service.name}",
            launch_type="FARGATE",
            started_by=f"ecs-svc/{uuid.uuid4().int % 10**16}",
            networking_configuration=service.network_configuration or None,
        )
        backend.tasks[cluster_name][task.task_arn] = task
    for task in running[int(service.desired_count or 0):]:
        task.desired_status = "STOPPED"
        task.status = "STOPPED"
        task.stopped_reason = "Scaling activity initiated by deployment"
    # Gap: runningCount stays 0 (or jumps to desired) whatever the tasks do; report the
    # tasks the harness keeps running, and a completed rollout once they are all there.
    count = len(_service_tasks(backend, cluster_name, service.name))
    service.running_count = count
    service.pending_count = 0
    for deployment in service.deployments or []:
        deployment["runningCount"] = count
        deployment["pendingCount"] = 0
        deployment["desiredCount"] = service.desired_count
        # With the local agent, ECS's rule: COMPLETED once the tasks stayed up (the agent decides).
        if count >= int(service.desired_count or 0) and deployment.get("rolloutState") != "FAILED" and AGENT is None:
            deployment["rolloutState"] = "COMPLETED"


_orig_create_service = ecs_models.EC2ContainerServiceBackend.create_service
_orig_update_service = ecs_models.EC2ContainerServiceBackend.update_service
_orig_delete_service = ecs_models.EC2ContainerServiceBackend.delete_service


def _create_service(self, *args, **kwargs):
    service = _orig_create_service(self, *args, **kwargs)
    _reconcile(self, service)
    return service


# Gap: UpdateService with another task definition (or forceNewDeployment) keeps the service's
# one deployment and its rollout state: a rollout that once FAILED (or COMPLETED) stays so for
# every later deploy. ECS starts a new PRIMARY deployment, IN_PROGRESS. Patched: the deployment
# is replaced by a new one (ECS would keep the old one ACTIVE while it drains; its running tasks
# are not replaced here either).
def _update_service(self, props):
    forced = bool(props.get("force_new_deployment"))
    wanted = props.get("task_definition")
    try:
        before = _arn_of(self._get_service(props.get("cluster", "default"), props["service"].split("/")[-1]).task_definition)
    except Exception:  # noqa: BLE001 - the original call reports a missing service its own way
        before = None
    service = _orig_update_service(self, props)
    after = _arn_of(service.task_definition)
    if service.deployments and (forced or (wanted is not None and after != before)):
        old = service.deployments[0]
        deployment_id = f"ecs-svc/{uuid.uuid4().int % 10**16}"
        service.deployments = [{
            **old,
            "id": deployment_id,
            "createdAt": utcnow(),
            "updatedAt": utcnow(),
            "failedTasks": 0,
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
            "status": "PRIMARY",
            "taskDefinition": after,
        }]
    _reconcile(self, service)
    return service


def _delete_service(self, cluster_name, service_name, force):
    service = _orig_delete_service(self, cluster_name, service_name, force)
    service.desired_count = 0
    for task in _service_tasks(self, service.cluster_name, service.name):
        task.desired_status = "STOPPED"
        task.status = "STOPPED"
    return service


ecs_models.EC2ContainerServiceBackend.create_service = _create_service
ecs_models.EC2ContainerServiceBackend.update_service = _update_service
ecs_models.EC2ContainerServiceBackend.delete_service = _delete_service

_orig_list_tasks = ecs_models.EC2ContainerServiceBackend.list_tasks


def _list_tasks(self, cluster_str=None, container_instance=None, family=None,
                started_by=None, service_name=None, desiredStatus=None):
    tasks = _orig_list_tasks(self, cluster_str, container_instance, family,
                             started_by, None, desiredStatus)
    if service_name:
        name = service_name.split("/")[-1]
        tasks = [t for t in tasks if t.group == f"service:{name}"]
    return tasks


ecs_models.EC2ContainerServiceBackend.list_tasks = _list_tasks

# Gap: RunTask with a capacityProviderStrategy (FARGATE / FARGATE_SPOT) and no launch
# type looks for EC2 container instances and crashes. Fargate providers mean Fargate.
_orig_run_task = ecs_models.EC2ContainerServiceBackend.run_task


def _run_task(self, cluster_str, task_definition_str, count, overrides, started_by,
              tags, launch_type, networking_configuration=None, group=None,
              platform_version=None):
    if not launch_type:
        launch_type = "FARGATE"
    return _orig_run_task(self, cluster_str, task_definition_str, count, overrides,
                          started_by, tags, launch_type, networking_configuration,
                          group, platform_version)


ecs_models.EC2ContainerServiceBackend.run_task = _run_task


# ---------------------------------------------------------------------------
# Gap: enableExecuteCommand is dropped by CreateService, UpdateService and RunTask, so
# every task reports exec disabled. Keep it on the service and on each task.
_orig_create_service_response = ecs_responses.EC2ContainerServiceResponse.create_service
_orig_update_service_response = ecs_responses.EC2ContainerServiceResponse.update_service
_orig_run_task_response = ecs_responses.EC2ContainerServiceResponse.run_task


def _exec_flag_service(original):
    def handler(self):
        flag = self._get_param("enableExecuteCommand")
        strategy = self._get_param("capacityProviderStrategy")
        name = (self._get_param("serviceName") or self._get_param("service")).split("/")[-1]
        cluster = self._get_param("cluster", "default").split("/")[-1]
        if flag is not None:
            _EXEC_FLAGS[(cluster, name)] = bool(flag)
        result = original(self)
        # Gap: DescribeServices forgets both, so Terraform plans a replacement every time.
        service = self.ecs_backend.services.get(f"{cluster}:{name}")
        if service is not None:
            service.enable_execute_command = _EXEC_FLAGS.get((cluster, name), False)
            if strategy:
                service.capacity_provider_strategy = strategy
                service.launch_type = None
        return result
    return handler


def _run_task_response(self):
    flag = bool(self._get_param("enableExecuteCommand"))
    _RUN_TASK_EXEC.append(flag)
    try:
        return _orig_run_task_response(self)
    finally:
        _RUN_TASK_EXEC.pop()


_EXEC_FLAGS: dict = {}
_RUN_TASK_EXEC: list = []
ecs_responses.EC2ContainerServiceResponse.create_service = _exec_flag_service(_orig_create_service_response)
ecs_responses.EC2ContainerServiceResponse.update_service = _exec_flag_service(_orig_update_service_response)
ecs_responses.EC2ContainerServiceResponse.run_task = _run_task_response


def _exec_enabled_for(task):
    group = task.group or ""
    if group.startswith("service:"):
        cluster = task.cluster_arn.split("/")[-1]
        return _EXEC_FLAGS.get((cluster, group[len("service:"):]), False)
    return bool(_RUN_TASK_EXEC and _RUN_TASK_EXEC[-1])


# ---------------------------------------------------------------------------
# Gap: ECS ExecuteCommand is not implemented. Answer with a fake SSM session for a
# running task (the fake session-manager-plugin in tests records what it is given).
def _execute_command(self):
    cluster_str = self._get_param("cluster", "default")
    task_ref = self._get_param("task")
    container = self._get_param("container")
    command = self._get_param("command")
    interactive = self._get_param("interactive")
    backend = self.ecs_backend
    cluster = backend._get_cluster(cluster_str)
    task_id = task_ref.split("/")[-1]
    task = next(
        (t for t in backend.tasks.get(cluster.name, {}).values() if t.id == task_id),
        None,
    )
    if task is None:
        raise ecs_models.InvalidParameterException("The specified task was not found.")
    if task.status != "RUNNING" or not getattr(task, "enable_execute_command", False):
        raise ecs_models.InvalidParameterException(
            "The execute command failed because execute command was not enabled when "
            "the task was run or the execute command agent isn't running. Wait and try "
            "again or run a new task with execute command enabled and try again."
        )
    names = [c.name for c in task.containers]
    if container is None:
        container = names[0]
    if container not in names:
        raise ecs_models.InvalidParameterException(
            f"The container {container} does not exist in the task."
        )
    session_id = f"ecs-execute-command-{uuid.uuid4().hex[:17]}"
    body = {
        "clusterArn": cluster.arn,
        "containerArn": f"{task.task_arn}/{container}",
        "containerName": container,
        "interactive": bool(interactive),
        "session": {
            "sessionId": session_id,
            # The fake plugin (test/harness/bin/session-manager-plugin) plays the
            # container: it runs the command it finds here, as the real agent would.
            "streamUrl": f"wss://ssmmessages.{self.region}.amazonaws.com/v1/data-channel/{session_id}"
            + "?cmd=" + base64.urlsafe_b64encode((command or "").encode()).decode(),
            "tokenValue": "fake-session-token-" + uuid.uuid4().hex,
        },
        "taskArn": task.task_arn,
    }
    return json.dumps(body)


ecs_responses.EC2ContainerServiceResponse.execute_command = _execute_command


# ---------------------------------------------------------------------------
# Gap: application-autoscaling has no tagging API; the Terraform provider calls
# ListTagsForResource after creating a scalable target.
_AAS_TAGS: dict[str, dict[str, str]] = {}


def _aas_list_tags(self):
    arn = self._get_param("ResourceARN")
    return json.dumps({"Tags": _AAS_TAGS.get(arn, {})})


def _aas_tag(self):
    arn = self._get_param("ResourceARN")
    _AAS_TAGS.setdefault(arn, {}).update(self._get_param("Tags") or {})
    return json.dumps({})


def _aas_untag(self):
    arn = self._get_param("ResourceARN")
    for key in self._get_param("TagKeys") or []:
        _AAS_TAGS.get(arn, {}).pop(key, None)
    return json.dumps({})


aas_responses.ApplicationAutoScalingResponse.list_tags_for_resource = _aas_list_tags
aas_responses.ApplicationAutoScalingResponse.tag_resource = _aas_tag
aas_responses.ApplicationAutoScalingResponse.untag_resource = _aas_untag


# ---------------------------------------------------------------------------
# infra-terraform gaps (a second `terraform plan` must show no change, as on AWS).
# Gaps: CreateService/UpdateService drop two settings, so DescribeServices never returns them:
# - availabilityZoneRebalancing: Terraform then plans an update of every service on every apply;
# - deploymentConfiguration (the circuit breaker among it): nothing can see the breaker.
# Keep what was sent, as ECS does.
def _keep_service_settings(original):
    def handler(self):
        rebalancing = self._get_param("availabilityZoneRebalancing")
        deployment_configuration = self._get_param("deploymentConfiguration")
        result = original(self)
        name = (self._get_param("serviceName") or self._get_param("service") or "").split("/")[-1]
        cluster = self._get_param("cluster", "default").split("/")[-1]
        service = self.ecs_backend.services.get(f"{cluster}:{name}")
        if service is None:
            return result
        if rebalancing or not getattr(service, "availability_zone_rebalancing", None):
            # AWS's default for a new service is ENABLED; Terraform sends what it wants.
            service.availability_zone_rebalancing = rebalancing or "ENABLED"
        if deployment_configuration:
            service.deployment_configuration = deployment_configuration
        return result
    return handler


ecs_responses.EC2ContainerServiceResponse.create_service = _keep_service_settings(
    ecs_responses.EC2ContainerServiceResponse.create_service)
ecs_responses.EC2ContainerServiceResponse.update_service = _keep_service_settings(
    ecs_responses.EC2ContainerServiceResponse.update_service)

# Gap: moto changes a security group's rule list from concurrent request threads without a
# lock. Terraform deletes (and creates) several rules of one group in parallel, and one change
# can be lost: "InvalidPermission.NotFound" on destroy, now and then. One lock, as AWS is
# consistent per group.
import threading  # noqa: E402

from moto.ec2.models.security_groups import SecurityGroupBackend  # noqa: E402

_SG_LOCK = threading.RLock()


def _serialized(method):
    def locked(self, *args, **kwargs):
        with _SG_LOCK:
            return method(self, *args, **kwargs)
    return locked


for _name in ("authorize_security_group_ingress", "revoke_security_group_ingress",
              "authorize_security_group_egress", "revoke_security_group_egress",
              "modify_security_group_rules", "delete_security_group"):
    setattr(SecurityGroupBackend, _name, _serialized(getattr(SecurityGroupBackend, _name)))

# Gap: revoking a rule by an ID the group does not have answers InvalidPermission.NotFound;
# AWS answers InvalidSecurityGroupRuleId.NotFound, which the Terraform provider takes as "already
# deleted". Under load a revoke is sometimes sent twice (an SDK retry of a request moto had
# already done), and destroy then failed on moto where it passes on AWS.
from moto.ec2.exceptions import InvalidSecurityGroupRuleIdNotFoundError  # noqa: E402


def _unknown_rule_ids(method, rules_of):
    def checked(self, group_name_or_id, *args, **kwargs):
        ids = kwargs.get("security_rule_ids")
        if ids:
            with _SG_LOCK:
                group = self.get_security_group_by_name_or_id(group_name_or_id, kwargs.get("vpc_id"))
                known = {rule.id for rule in rules_of(group)} if group is not None else set()
                missing = [i for i in ids if i not in known]
                if group is not None and missing:
                    raise InvalidSecurityGroupRuleIdNotFoundError(missing[0])
                return method(self, group_name_or_id, *args, **kwargs)
        return method(self, group_name_or_id, *args, **kwargs)
    return checked


SecurityGroupBackend.revoke_security_group_egress = _unknown_rule_ids(
    SecurityGroupBackend.revoke_security_group_egress, lambda g: g.egress_rules)
SecurityGroupBackend.revoke_security_group_ingress = _unknown_rule_ids(
    SecurityGroupBackend.revoke_security_group_ingress, lambda g: g.ingress_rules)

# Gap: a security group rule that references another group loses its description
# (moto keeps it only for CIDR rules), so Terraform plans to set it again every time.
from moto.ec2.models.security_groups import SecurityGroupRule  # noqa: E402

SecurityGroupRule.description = property(
    lambda self: self.ip_range.get("Description") or (self.source_group or {}).get("Description")
)

# Gap: CreateLoadBalancer without Scheme stores None; AWS defaults to internet-facing
# (Terraform sends no Scheme for `internal = false`).
from moto.elbv2.models import ELBv2Backend  # noqa: E402

_orig_elbv2_create_lb = ELBv2Backend.create_load_balancer


def _elbv2_create_lb(self, *args, **kwargs):
    if kwargs.get("scheme") is None:
        kwargs["scheme"] = "internet-facing"
    return _orig_elbv2_create_lb(self, *args, **kwargs)


ELBv2Backend.create_load_balancer = _elbv2_create_lb

# Gap: RegisterScalableTarget ignores its Tags (the provider's default_tags go there), so
# ListTagsForResource (patched above) answers none and Terraform re-tags on every plan.
_orig_aas_register = aas_responses.ApplicationAutoScalingResponse.register_scalable_target


def _aas_register(self):
    body = _orig_aas_register(self)
    tags = self._get_param("Tags")
    if tags:
        _AAS_TAGS.setdefault(json.loads(body)["ScalableTargetARN"], {}).update(tags)
    return body


aas_responses.ApplicationAutoScalingResponse.register_scalable_target = _aas_register


# ---------------------------------------------------------------------------
# Gap: a secret scheduled for deletion still takes writes in moto. AWS refuses both
# CreateSecret of its name and PutSecretValue to it (InvalidRequestException) until
# RestoreSecret, and `connections set` / `variables set` must handle that.
from moto.secretsmanager import models as sm_models  # noqa: E402
from moto.secretsmanager.exceptions import InvalidRequestException  # noqa: E402


def _refuse_if_deleted(secret_id, message):
    def check(backend):
        secret = backend.secrets.get(secret_id)
        if secret is not None and secret.is_deleted():
            raise InvalidRequestException(message)
    return check


_orig_sm_create = sm_models.SecretsManagerBackend.create_secret
_orig_sm_put = sm_models.SecretsManagerBackend.put_secret_value


def _sm_create(self, name, *args, **kwargs):
    _refuse_if_deleted(name, "You can't create this secret because a secret with this name is already scheduled for deletion.")(self)
    return _orig_sm_create(self, name, *args, **kwargs)


def _sm_put(self, secret_id, *args, **kwargs):
    _refuse_if_deleted(secret_id, "You can't perform this operation on the secret because it was marked for deletion.")(self)
    return _orig_sm_put(self, secret_id, *args, **kwargs)


sm_models.SecretsManagerBackend.create_secret = _sm_create
sm_models.SecretsManagerBackend.put_secret_value = _sm_put


# ---------------------------------------------------------------------------
# Gap: FilterLogEvents returns stream after stream unless `interleaved` is passed. AWS has
# ignored that parameter since 2019: the events of all streams always come interleaved,
# sorted by timestamp across pages, which `logs` relies on to stream them in order.
from moto.logs import models as logs_models  # noqa: E402

_orig_group_filter = logs_models.LogGroup.filter_log_events


def _group_filter_interleaved(self, log_group_name, log_stream_names, start_time, end_time, limit, next_token, filter_pattern, interleaved):
    return _orig_group_filter(self, log_group_name, log_stream_names, start_time, end_time, limit, next_token, filter_pattern, True)


logs_models.LogGroup.filter_log_events = _group_filter_interleaved

# ---------------------------------------------------------------------------
# Not a gap, a trace: moto's request log shows no action names for query-protocol services,
# so a restore from a snapshot (deploy --restore-snapshot) says so in the log, for the tests.
from moto.rds import models as rds_models  # noqa: E402

_orig_restore = rds_models.RDSBackend.restore_db_instance_from_db_snapshot


def _restore_traced(self, from_snapshot_id, overrides):
    instance = _orig_restore(self, from_snapshot_id, overrides)
    print(f"[harness] RestoreDBInstanceFromDBSnapshot {from_snapshot_id} -> {overrides.get('db_instance_identifier')}", file=sys.stderr, flush=True)
    return instance


rds_models.RDSBackend.restore_db_instance_from_db_snapshot = _restore_traced


# Gap: every RDS instance gets the same DbiResourceId ("db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U"). The
# AWS provider keys aws_db_instance by it (DescribeDBInstances with a dbi-resource-id filter), so
# with two deployments in one account (two environments) a read finds two instances and fails
# ("couldn't find resource"). AWS makes each one unique: here, derived from the identifier.
import hashlib  # noqa: E402

_orig_db_instance_init = rds_models.DBInstance.__init__


def _db_instance_init(self, *args, **kwargs):
    _orig_db_instance_init(self, *args, **kwargs)
    digest = base64.b32encode(hashlib.sha256(self.db_instance_identifier.encode()).digest()).decode()
    self.dbi_resource_id = "db-" + digest[:26]


rds_models.DBInstance.__init__ = _db_instance_init


# Gaps: moto has no aws:SecureTransport, evaluates only StringEquals conditions (a Bool
# condition counts as met), and DENIES with a statement whose Condition does not hold
# rather than not applying it. The
# Terraform state bucket's TLS-only policy (Deny when aws:SecureTransport is false) then
# refuses every request. moto stands in for AWS's https endpoint: requests count as TLS,
# and a statement whose conditions fail is neutral, as in AWS.
from moto.iam import access_control as _access_control  # noqa: E402
from moto.iam import policy_conditions as _policy_conditions  # noqa: E402


def _bool_operation(expected, actual):
    wanted = expected if isinstance(expected, list) else [expected]
    return str(actual).lower() in [str(w).lower() for w in wanted]


_policy_conditions.CONDITION_OPERATIONS.setdefault("Bool", _bool_operation)

_orig_statement_permitted = _access_control.IAMPolicyStatement.is_action_permitted


def _statement_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
    values = {"aws:SecureTransport": "true", **(incoming_condition_values or {})}
    if self._statement.get("Condition") and not self._check_conditions(values):
        return _access_control.PermissionResult.NEUTRAL
    return _orig_statement_permitted(self, action, resource, principal, values)


_access_control.IAMPolicyStatement.is_action_permitted = _statement_permitted


if __name__ == "__main__":
    from moto.server import main

    port = sys.argv[1] if len(sys.argv) > 1 else "5000"
    if AGENT is not None:
        import signal

        def _stop(signum, frame):
            AGENT.shutdown()
            os._exit(0)

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    main(["-H", "127.0.0.1", "-p", str(port)])
