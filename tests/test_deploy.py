"""The deployment files under deploy/: each parses, and they agree with each other and with the gateway.

No container engine runs here, so these tests read the files: the compose services and the paths they mount, the
Dockerfile's stages, the Kubernetes manifests and what the Deployment mounts, the gateway configurations (through
the gateway's own loader) and the systemd unit.
"""

from __future__ import annotations

import configparser
import posixpath
import re
import shutil
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from gateway.config import Config, load_config

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
COMPOSE_DIR = DEPLOY / "compose"
COMPOSE_FILE = COMPOSE_DIR / "compose.yaml"
K8S = DEPLOY / "kubernetes"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = DEPLOY / "Dockerfile.dockerignore"
UNIT = DEPLOY / "systemd" / "sip-sg-gateway.service"
DSN_VARIABLE = "GATEWAY_DATABASE_DSN"

GATEWAY_NODES = ("gateway-1", "gateway-2")
COMPILERS = ("gcc", "g++", "cc1", "clang", "build-essential", "make ")


def _yaml_files() -> list[Path]:
    return sorted(p for pattern in ("*.yaml", "*.yml") for p in DEPLOY.rglob(pattern))


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _load_all(path: Path) -> list[Any]:
    return list(yaml.safe_load_all(path.read_text(encoding="utf-8")))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", _yaml_files(), ids=_rel)
def test_every_yaml_file_parses(path: Path) -> None:
    docs = _load_all(path)
    assert docs, f"{_rel(path)} is empty"
    assert all(isinstance(doc, dict) for doc in docs), f"{_rel(path)}: every document is a mapping"


def test_the_deploy_tree_has_what_operators_need() -> None:
    for name in (
        "Dockerfile",
        "Dockerfile.dockerignore",
        "README.md",
        "compose/compose.yaml",
        "compose/gateway.yaml",
        "kubernetes/kustomization.yaml",
        "systemd/sip-sg-gateway.service",
    ):
        assert (DEPLOY / name).is_file(), name


# --- Docker Compose -------------------------------------------------------------------------------------------


def _compose() -> dict[str, Any]:
    doc = _load(COMPOSE_FILE)
    assert isinstance(doc, dict)
    return doc


def _services() -> dict[str, dict[str, Any]]:
    services = _compose()["services"]
    assert isinstance(services, dict)
    return services


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        return dict(str(item).split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _mounts(service: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """Each volume of a service as (source, target, read_only), short or long syntax."""
    found = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            parts = volume.split(":")
            assert len(parts) in {2, 3}, f"unexpected volume {volume!r}"
            found.append((parts[0], parts[1], len(parts) == 3 and "ro" in parts[2].split(",")))
        else:
            found.append((str(volume["source"]), str(volume["target"]), bool(volume.get("read_only", False))))
    return found


def _is_bind(source: str) -> bool:
    return source.startswith((".", "/", "~"))


def _mount_source(service: dict[str, Any], target: str) -> tuple[str, bool]:
    for source, mounted, read_only in _mounts(service):
        if mounted == target:
            return source, read_only
    raise AssertionError(f"nothing is mounted at {target}")


def _depends_on(service: dict[str, Any]) -> dict[str, str]:
    """Each dependency and its condition (service_started when none is given)."""
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: str((spec or {}).get("condition", "service_started")) for name, spec in deps.items()}


def test_compose_runs_two_nodes_a_proxy_postgres_a_collector_and_a_tracing_ui() -> None:
    services = _services()
    for name in (*GATEWAY_NODES, "proxy", "postgres", "otel-collector", "jaeger", "prometheus", "keys"):
        assert name in services, f"compose has no {name} service"
    assert str(services["postgres"]["image"]).startswith("postgres:15")
    assert str(services["otel-collector"]["image"]).startswith("otel/opentelemetry-collector-contrib:")
    assert str(services["jaeger"]["image"]).startswith("jaegertracing/all-in-one:")
    assert _environment(services["jaeger"]).get("COLLECTOR_OTLP_ENABLED") == "true"
    assert str(services["prometheus"]["image"]).startswith("prom/prometheus:")
    command = services["demo-recipient"]["command"]
    assert command[:1] == ["demo-recipient"]
    assert "--port" in command


def test_compose_nodes_are_built_from_the_dockerfile_and_start_after_keys_and_postgres() -> None:
    services = _services()
    for name in (*GATEWAY_NODES, "keys"):
        build = services[name]["build"]
        assert (COMPOSE_DIR / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
    for name in GATEWAY_NODES:
        node = services[name]
        assert "command" not in node, "the nodes run the image's CMD: gateway serve --config /etc/gateway/gateway.yaml"
        deps = _depends_on(node)
        assert deps.get("keys") == "service_completed_successfully"
        assert deps.get("postgres") == "service_healthy"
        assert node.get("read_only") is True
    keys = services["keys"]
    assert keys["command"][:2] == ["keys", "init"]
    assert keys.get("restart") == "no"
    proxy_deps = _depends_on(services["proxy"])
    assert all(proxy_deps.get(name) == "service_healthy" for name in GATEWAY_NODES)


def test_compose_dependencies_name_services() -> None:
    services = _services()
    for name, service in services.items():
        for dep in _depends_on(service):
            assert dep in services, f"{name} depends on unknown service {dep}"
        mode = service.get("network_mode", "")
        if mode.startswith("service:"):
            assert mode.removeprefix("service:") in services


def test_compose_paths_exist_relative_to_the_compose_file() -> None:
    compose = _compose()
    declared_volumes = set(compose.get("volumes") or {})
    checked = 0
    for name, service in compose["services"].items():
        build = service.get("build")
        if build is not None:
            context = COMPOSE_DIR / (build if isinstance(build, str) else build["context"])
            assert context.is_dir(), f"{name}: build context {context}"
            if isinstance(build, dict) and "dockerfile" in build:
                assert (context / build["dockerfile"]).is_file(), f"{name}: dockerfile {build['dockerfile']}"
            checked += 1
        for source, _target, _ro in _mounts(service):
            if _is_bind(source):
                assert (COMPOSE_DIR / source).exists(), f"{name}: bind mount source {source} does not exist"
                checked += 1
            else:
                assert source in declared_volumes, f"{name}: named volume {source} is not declared"
    for section in ("configs", "secrets"):
        for name, spec in (compose.get(section) or {}).items():
            if "file" in spec:
                assert (COMPOSE_DIR / spec["file"]).is_file(), f"{section}.{name}: {spec['file']}"
                checked += 1
    assert checked >= 10


def _compose_gateway_config(monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.delenv(DSN_VARIABLE, raising=False)
    return load_config(COMPOSE_DIR / "gateway.yaml")


def test_compose_nodes_mount_the_config_policies_and_shared_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    config = _compose_gateway_config(monkeypatch)
    services = _services()
    keys_volume, keys_ro = _mount_source(services["keys"], config.keys_dir.as_posix())
    assert not _is_bind(keys_volume)
    assert not keys_ro, "keys init writes the keys"
    for name in (*GATEWAY_NODES, "keys"):
        service = services[name]
        source, read_only = _mount_source(service, "/etc/gateway/gateway.yaml")
        assert (COMPOSE_DIR / source).resolve() == COMPOSE_DIR / "gateway.yaml"
        assert read_only
        policies, _ = _mount_source(service, config.policy_dir.parent.as_posix())
        assert (COMPOSE_DIR / policies / config.policy_dir.name / "policy.yaml").is_file()
        if name in GATEWAY_NODES:
            assert _mount_source(service, config.keys_dir.as_posix()) == (keys_volume, True)
            for key in (config.checkpoint_key, config.consent_receipt_key, config.auth.jwks_file):
                assert key.parent == config.keys_dir, f"{key} is outside the shared keys volume"
    data = {_mount_source(services[name], config.data_dir.as_posix())[0] for name in GATEWAY_NODES}
    assert len(data) == len(GATEWAY_NODES), "each node has its own data_dir volume"


def test_compose_gateway_config_loads_and_points_at_compose_services(monkeypatch: pytest.MonkeyPatch) -> None:
    config = _compose_gateway_config(monkeypatch)
    services = _services()
    assert config.host == "0.0.0.0"  # noqa: S104 - inside the container; only the proxy publishes a port
    assert config.port == 8080
    assert config.traces == "otlp"
    assert config.database_dsn is not None
    assert urlsplit(config.database_dsn).hostname == "postgres"
    postgres = _environment(services["postgres"])
    assert urlsplit(config.database_dsn).username == postgres["POSTGRES_USER"]
    assert urlsplit(config.database_dsn).path == "/" + postgres["POSTGRES_DB"]
    for route in config.routes.values():
        assert urlsplit(route.upstream).hostname in services, f"route {route.name}: upstream is not a service"
    for name in GATEWAY_NODES:
        env = _environment(services[name])
        assert env.get("OTEL_SERVICE_NAME")
        endpoint = urlsplit(env["OTEL_EXPORTER_OTLP_ENDPOINT"])
        assert (endpoint.hostname, endpoint.port) == ("otel-collector", 4318)
        assert "PGPASSWORD" in env or DSN_VARIABLE in env


def test_compose_postgres_has_a_named_volume_and_a_healthcheck() -> None:
    postgres = _services()["postgres"]
    source, _ = _mount_source(postgres, "/var/lib/postgresql/data")
    assert not _is_bind(source)
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


def _haproxy_sections(path: Path) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line:
            continue
        if not line[0].isspace():
            current = sections.setdefault(line.strip(), [])
        else:
            current.append(" ".join(line.split()))
    return sections


def test_proxy_balances_round_robin_over_both_nodes_checking_readyz() -> None:
    proxy = _services()["proxy"]
    source, _ = _mount_source(proxy, "/usr/local/etc/haproxy/haproxy.cfg")
    sections = _haproxy_sections(COMPOSE_DIR / source)
    backends = [lines for name, lines in sections.items() if name.startswith("backend ")]
    assert len(backends) == 1
    backend = backends[0]
    assert "balance roundrobin" in backend
    assert "option httpchk" in backend
    assert "http-check send meth GET uri /readyz" in backend
    assert "http-check expect status 200" in backend
    servers = {line.split()[1]: line.split()[2] for line in backend if line.startswith("server ")}
    assert servers == {name: f"{name}:8080" for name in GATEWAY_NODES}
    assert all(line.endswith(" check") for line in backend if line.startswith("server "))
    published = [str(p) for p in proxy["ports"]]
    assert any(p.endswith(":8080:8080") for p in published)


def test_the_route_reaches_the_demo_recipient() -> None:
    """The containers' route leads to the demo recipient, listening beyond its own loopback on the routed port."""
    command = _services()["demo-recipient"]["command"]
    port = command[command.index("--port") + 1]
    assert command[command.index("--host") + 1] == "0.0.0.0"  # noqa: S104 - inside its container
    routes = _load(COMPOSE_DIR / "gateway.yaml")["routes"]
    assert {route["upstream"] for route in routes.values()} == {f"http://demo-recipient:{port}"}


def test_prometheus_scrapes_both_nodes() -> None:
    source, _ = _mount_source(_services()["prometheus"], "/etc/prometheus/prometheus.yml")
    config = _load(COMPOSE_DIR / source)
    jobs = [job for job in config["scrape_configs"] if job.get("metrics_path", "/metrics") == "/metrics"]
    targets = {t for job in jobs for group in job["static_configs"] for t in group["targets"]}
    assert {f"{name}:8080" for name in GATEWAY_NODES} <= targets


def test_collector_receives_otlp_and_exports_to_jaeger() -> None:
    services = _services()
    source, _ = _mount_source(services["otel-collector"], "/etc/otelcol-contrib/config.yaml")
    config = _load(COMPOSE_DIR / source)
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"] == "0.0.0.0:4318"
    pipeline = config["service"]["pipelines"]["traces"]
    assert "otlp" in pipeline["receivers"]
    hosts = {str(config["exporters"][name]["endpoint"]).rsplit(":", 1)[0] for name in pipeline["exporters"]}
    assert "jaeger" in hosts
    assert "jaeger" in services
    for name in pipeline.get("processors", []):
        assert name in config["processors"]


# --- Dockerfile -----------------------------------------------------------------------------------------------


def _instructions(text: str) -> list[tuple[str, str]]:
    """The Dockerfile's instructions (keyword, arguments), continuation lines joined, comments dropped."""
    logical = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    assert not current, "the Dockerfile ends inside a continuation"
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in logical]


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for keyword, args in _instructions(DOCKERFILE.read_text(encoding="utf-8")):
        if keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((keyword, args))
    return stages


def _final_user() -> str:
    users = [args for keyword, args in _stages()[-1] if keyword == "USER"]
    assert users, "the final stage sets no USER"
    return users[-1].split(":", 1)[0]


def test_dockerfile_is_multi_stage_with_a_non_root_runtime_without_compilers() -> None:
    stages = _stages()
    assert len(stages) >= 2
    final = stages[-1]
    user = _final_user()
    assert user not in {"root", "0"}
    assert user.isdigit(), "a numeric uid, so runAsNonRoot can verify it"
    runs = " ".join(args for keyword, args in final if keyword == "RUN").lower()
    for compiler in COMPILERS:
        assert compiler not in runs, f"the runtime stage installs {compiler.strip()}"
    assert "pip install" not in runs
    assert "apt-get install" not in runs
    copies = [args for keyword, args in final if keyword == "COPY"]
    assert copies
    assert all(args.startswith("--from=") for args in copies), "the runtime stage copies only the built venv"
    builder = stages[0][0][1].split()
    assert len(builder) == 3
    assert builder[1].upper() == "AS"
    assert any(args.startswith(f"--from={builder[2]} ") for args in copies)


def test_dockerfile_runtime_contract() -> None:
    final = dict(_stages()[-1])
    assert final["EXPOSE"].split() == ["8080"]
    assert "/healthz" in final["HEALTHCHECK"]
    assert "python" in final["HEALTHCHECK"]
    assert "curl" not in final["HEALTHCHECK"]
    assert final["ENTRYPOINT"] == '["gateway"]'
    assert final["CMD"] == '["serve", "--config", "/etc/gateway/gateway.yaml"]'
    builder = " ".join(args for keyword, args in _stages()[0] if keyword == "RUN")
    assert "--no-cache-dir" in builder


def test_dockerfile_build_context_keeps_what_it_copies() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip()[:1] not in {"", "#"}
    ]
    assert patterns[0] == "*", "the context is an allow-list"
    allowed = {p.removeprefix("!").rstrip("/") for p in patterns if p.startswith("!")}
    sources = []
    for stage in _stages():
        for keyword, args in stage:
            if keyword == "COPY" and not args.startswith("--from="):
                sources += [s.rstrip("/") for s in args.split()[:-1] if not s.startswith("--")]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
        assert source in allowed, f"COPY {source}: excluded by {_rel(DOCKERIGNORE)}"


# --- Kubernetes -----------------------------------------------------------------------------------------------


def _kustomization() -> dict[str, Any]:
    doc = _load(K8S / "kustomization.yaml")
    assert isinstance(doc, dict)
    return doc


def _generator_files(doc: dict[str, Any]) -> dict[str, dict[str, Path]]:
    """Each generated ConfigMap/Secret: its keys and the files they come from."""
    generated: dict[str, dict[str, Path]] = {}
    for section in ("configMapGenerator", "secretGenerator"):
        for gen in doc.get(section, []):
            files = generated.setdefault(gen["name"], {})
            for entry in gen.get("files", []):
                key, _, source = entry.rpartition("=")
                files[key or PurePosixPath(source).name] = (K8S / source).resolve()
    return generated


def _manifests() -> list[dict[str, Any]]:
    docs = []
    for resource in _kustomization()["resources"]:
        docs += [doc for doc in _load_all(K8S / resource) if doc is not None]
    return docs


def _one(kind: str) -> dict[str, Any]:
    found = [doc for doc in _manifests() if doc["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def test_kustomization_resources_and_generator_files_exist() -> None:
    doc = _kustomization()
    assert doc["kind"] == "Kustomization"
    for resource in doc["resources"]:
        assert (K8S / resource).is_file(), resource
    for name, files in _generator_files(doc).items():
        for key, path in files.items():
            assert path.is_file(), f"{name}/{key}: {path}"


def test_every_yaml_under_kubernetes_is_accounted_for() -> None:
    doc = _kustomization()
    used = {(K8S / r).resolve() for r in doc["resources"]}
    used |= {path for files in _generator_files(doc).values() for path in files.values()}
    used |= {K8S / "kustomization.yaml", K8S / "secret.yaml"}  # secret.yaml: placeholders, applied by hand only
    assert set(K8S.glob("*.yaml")) <= used


def test_every_manifest_has_api_version_kind_and_name() -> None:
    files = [K8S / r for r in _kustomization()["resources"]] + [K8S / "secret.yaml"]
    for path in files:
        for manifest in _load_all(path):
            assert manifest["apiVersion"], _rel(path)
            assert manifest["kind"], _rel(path)
            assert manifest["metadata"]["name"], _rel(path)


def _pod_spec() -> dict[str, Any]:
    spec = _one("Deployment")["spec"]["template"]["spec"]
    assert isinstance(spec, dict)
    return spec


def _container() -> dict[str, Any]:
    containers = _pod_spec()["containers"]
    assert len(containers) == 1
    container = containers[0]
    assert isinstance(container, dict)
    return container


def _pod_labels() -> dict[str, str]:
    labels = _one("Deployment")["spec"]["template"]["metadata"]["labels"]
    assert isinstance(labels, dict)
    return labels


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def test_deployment_probes_resources_and_security() -> None:
    deployment = _one("Deployment")
    assert deployment["spec"]["replicas"] >= 2
    assert _selects(deployment["spec"]["selector"]["matchLabels"], _pod_labels())
    container = _container()
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports.get("http") == 8080
    expected = {"startupProbe": "/healthz", "livenessProbe": "/healthz", "readinessProbe": "/readyz"}
    for probe, path in expected.items():
        get = container[probe]["httpGet"]
        assert get["path"] == path, probe
        assert get["port"] in ports or get["port"] in ports.values(), probe
    resources = container["resources"]
    for section in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(resources[section]), section
    pod_security = _pod_spec()["securityContext"]
    assert pod_security["runAsNonRoot"] is True
    assert str(pod_security["runAsUser"]) == _final_user(), "the image's uid"
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]


def _volumes() -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in _pod_spec()["volumes"]}


def _mount_paths() -> dict[str, str]:
    return {m["name"]: m["mountPath"] for m in _container()["volumeMounts"]}


def test_deployment_mounts_are_backed_by_volumes_and_tmp_is_writable() -> None:
    volumes = _volumes()
    mounts = _mount_paths()
    assert set(mounts) <= set(volumes)
    by_path = {path: volumes[name] for name, path in mounts.items()}
    assert "emptyDir" in by_path["/tmp"]  # noqa: S108 - the pod's /tmp is an emptyDir


def _secret_docs() -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in _load_all(K8S / "secret.yaml") if doc["kind"] == "Secret"}


def test_deployment_takes_the_dsn_from_a_secret_and_sets_otel() -> None:
    env = {e["name"]: e for e in _container()["env"]}
    ref = env[DSN_VARIABLE]["valueFrom"]["secretKeyRef"]
    secret = _secret_docs()[ref["name"]]
    assert ref["key"] in secret["stringData"]
    assert "REPLACE-ME" in secret["stringData"][ref["key"]]
    assert env["OTEL_SERVICE_NAME"]["value"]
    assert urlsplit(env["OTEL_EXPORTER_OTLP_ENDPOINT"]["value"]).port == 4318


def _k8s_config_file() -> tuple[Path, str]:
    """The Kubernetes gateway configuration's file in the repository, and where the container reads it."""
    args = _container()["args"]
    assert args[:2] == ["serve", "--config"]
    where = PurePosixPath(args[2])
    volume = _volumes()[next(n for n, p in _mount_paths().items() if p == str(where.parent))]
    generated = _generator_files(_kustomization())[volume["configMap"]["name"]]
    return generated[where.name], str(where)


def _k8s_config(monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.delenv(DSN_VARIABLE, raising=False)
    return load_config(_k8s_config_file()[0])


def test_deployment_policy_volume_rebuilds_the_policy_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    config = _k8s_config(monkeypatch)
    mounts = _mount_paths()
    name = next(n for n, p in mounts.items() if p == config.policy_dir.parent.as_posix())
    configmap = _volumes()[name]["configMap"]
    generated = _generator_files(_kustomization())[configmap["name"]]
    items = {item["path"]: item["key"] for item in configmap["items"]}
    assert set(items.values()) <= set(generated)
    policy_item = f"{config.policy_dir.name}/policy.yaml"
    assert policy_item in items
    policy = _load(generated[items[policy_item]])
    assert generated[items[policy_item]] == (ROOT / "policies" / "sip-sg" / "policy.yaml").resolve()
    vocabulary = posixpath.normpath(posixpath.join(config.policy_dir.name, policy["vocabulary"]))
    assert vocabulary in items, f"policy.yaml names {policy['vocabulary']}, which the volume does not provide"
    assert generated[items[vocabulary]] == (ROOT / "policies" / "sip-sg" / policy["vocabulary"]).resolve()


def test_deployment_keys_volume_holds_every_key_the_config_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    config = _k8s_config(monkeypatch)
    name = next(n for n, p in _mount_paths().items() if p == config.keys_dir.as_posix())
    secret_volume = _volumes()[name]["secret"]
    assert secret_volume["defaultMode"] == 0o440
    items = {item["path"]: item["key"] for item in secret_volume["items"]}
    placeholder = _secret_docs()[secret_volume["secretName"]]
    assert set(items.values()) <= set(placeholder["stringData"])
    for key in (config.audit_hmac_key_file, config.checkpoint_key, config.consent_receipt_key, config.auth.jwks_file):
        assert key.parent == config.keys_dir
        assert key.name in items, f"{key} is not in the keys Secret volume"
    assert config.token_signing_file is not None
    assert config.token_signing_file.name not in items, "the token issuer's private key stays out of the cluster"


def test_k8s_gateway_config_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    config = _k8s_config(monkeypatch)
    assert config.port == 8080
    assert config.traces == "otlp"
    assert config.data_dir.as_posix() in _mount_paths().values()
    assert config.database_dsn is not None
    dsn = "postgresql://gateway:secret@db.internal:5432/gateway"
    monkeypatch.setenv(DSN_VARIABLE, dsn)  # what the Deployment sets from the Secret replaces database.dsn
    assert load_config(_k8s_config_file()[0]).database_dsn == dsn


def test_service_and_pdb_select_the_deployment_pods() -> None:
    labels = _pod_labels()
    service = _one("Service")
    assert _selects(service["spec"]["selector"], labels)
    names = {p["name"] for p in _container()["ports"]}
    assert all(port["targetPort"] in names for port in service["spec"]["ports"])
    pdb = _one("PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 1
    assert _selects(pdb["spec"]["selector"]["matchLabels"], labels)


def test_kustomize_builds_when_kubectl_is_available() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    built = subprocess.run(  # noqa: S603 - a fixed command on the repository's own files
        [kubectl, "kustomize", "--load-restrictor=LoadRestrictionsNone", str(K8S)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    docs = [doc for doc in yaml.safe_load_all(built.stdout) if doc]
    kinds = sorted(doc["kind"] for doc in docs)
    assert kinds == ["ConfigMap", "ConfigMap", "Deployment", "Namespace", "PodDisruptionBudget", "Service"]
    configmaps = {doc["metadata"]["name"] for doc in docs if doc["kind"] == "ConfigMap"}
    deployment = next(doc for doc in docs if doc["kind"] == "Deployment")
    used = {v["configMap"]["name"] for v in deployment["spec"]["template"]["spec"]["volumes"] if "configMap" in v}
    assert used == configmaps, "the Deployment mounts the generated (hash-suffixed) ConfigMaps"
    assert all(doc["metadata"].get("namespace") == "sip-sg-gateway" for doc in docs if doc["kind"] != "Namespace")


# --- systemd --------------------------------------------------------------------------------------------------


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text(encoding="utf-8"), source=str(UNIT))
    return parser


def test_systemd_unit_is_hardened_and_reloads_on_sighup(monkeypatch: pytest.MonkeyPatch) -> None:
    service = _unit()["Service"]
    assert service["User"] not in {"", "root", "0"}
    assert service["ProtectSystem"] == "strict"
    assert service["NoNewPrivileges"] == "true"
    assert service["PrivateTmp"] == "true"
    assert service["Restart"] == "on-failure"
    assert re.fullmatch(r"\S*kill -(HUP|s HUP|SIGHUP) \$MAINPID", service["ExecReload"])
    assert service["EnvironmentFile"].lstrip("-").startswith("/etc/sip-sg-gateway/")
    assert service["CapabilityBoundingSet"] == ""
    start = service["ExecStart"].split()
    assert start[1:3] == ["serve", "--config"]
    assert start[3] == "/etc/sip-sg-gateway/gateway.yaml"
    monkeypatch.delenv(DSN_VARIABLE, raising=False)
    config = load_config(DEPLOY / "systemd" / "gateway.yaml")
    writable = service["ReadWritePaths"].split()
    assert any(config.data_dir.is_relative_to(path) for path in writable), "data_dir must be writable"
    assert config.policy_dir.is_relative_to("/etc/sip-sg-gateway")
    assert config.keys_dir.is_relative_to("/etc/sip-sg-gateway")
    assert "WantedBy" in _unit()["Install"]
