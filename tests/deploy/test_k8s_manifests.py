"""The Kubernetes base (deploy/k8s/base, docs/operations.md): every resource kustomize lists
is there and parses; web, worker and beat run the one image with the ConfigMap and Secret;
the web probes ask /healthz and /readyz, which the portal serves; exactly one beat; the
autoscalers point at Deployments that exist; the ConfigMap only sets variables the settings
read (.env.example lists them all)."""

import re
from pathlib import Path

import pytest
import yaml
from django.urls import Resolver404, resolve

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy" / "k8s" / "base"


def _documents() -> list[dict]:
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    documents = []
    for resource in kustomization["resources"]:
        path = BASE / resource
        assert path.is_file(), f"kustomization lists {resource}, which is missing"
        documents += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return documents


def _by_kind(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in _documents() if doc["kind"] == kind}


def _container(deployment: dict) -> dict:
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return container


def test_every_listed_resource_is_there_and_every_workload_runs_the_portal_image():
    deployments = _by_kind("Deployment")
    assert set(deployments) == {"mhhs-portal-web", "mhhs-portal-worker", "mhhs-portal-beat"}
    workloads = [*deployments.values(), *_by_kind("Job").values()]
    for workload in workloads:
        container = _container(workload)
        assert container["image"] == "mhhs-portal", workload["metadata"]["name"]
        sources = {
            next(iter(source)): next(iter(source.values()))["name"]
            for source in container["envFrom"]
        }
        assert sources == {"configMapRef": "mhhs-portal", "secretRef": "mhhs-portal"}
        assert container["resources"]["requests"], workload["metadata"]["name"]
        assert workload["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_selectors_match_their_pod_labels():
    for name, deployment in _by_kind("Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items(), name
    service = _by_kind("Service")["mhhs-portal-web"]
    web_labels = _by_kind("Deployment")["mhhs-portal-web"]["spec"]["template"]["metadata"]
    assert service["spec"]["selector"].items() <= web_labels["labels"].items()


@pytest.mark.parametrize(
    ("probe", "path"), [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")]
)
def test_web_probes_ask_the_portals_health_endpoints(probe, path):
    container = _container(_by_kind("Deployment")["mhhs-portal-web"])
    assert container[probe]["httpGet"]["path"] == path
    try:
        resolve(path)
    except Resolver404:
        pytest.fail(f"the portal does not serve {path}")


def test_exactly_one_beat_and_never_two_during_a_rollout():
    beat = _by_kind("Deployment")["mhhs-portal-beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
    assert "beat" in _container(beat)["command"]


def test_migrations_run_as_a_job_not_in_the_web_pods():
    [job] = _by_kind("Job").values()
    assert _container(job)["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert "migrate" not in " ".join(
        _container(_by_kind("Deployment")["mhhs-portal-web"])["command"]
    )


def test_autoscalers_scale_deployments_that_exist():
    deployments = _by_kind("Deployment")
    scalers = _by_kind("HorizontalPodAutoscaler")
    assert {s["spec"]["scaleTargetRef"]["name"] for s in scalers.values()} == {
        "mhhs-portal-web",
        "mhhs-portal-worker",
    }
    for scaler in scalers.values():
        target = scaler["spec"]["scaleTargetRef"]["name"]
        assert target in deployments
        assert scaler["spec"]["minReplicas"] >= 2


def test_configmap_sets_only_variables_the_settings_read():
    documented = set(
        re.findall(r"^(?:# ?)?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    [config] = _by_kind("ConfigMap").values()
    unknown = set(config["data"]) - documented
    assert not unknown, f"not read by the settings (.env.example): {sorted(unknown)}"
    assert all(isinstance(value, str) for value in config["data"].values())
