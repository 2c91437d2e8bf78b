"""/metrics (issue 14): every listed series in the Prometheus text format, for a configured
address or bearer token only; routes by resolver name, never the raw path."""

import pytest
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from tests.factories.cases import CaseFactory

SERIES = [
    "mhhs_http_requests",
    "mhhs_http_request_duration_seconds",
    "mhhs_http_request_db_queries",
    "mhhs_celery_task_runs",
    "mhhs_celery_task_failures",
    "mhhs_celery_task_duration_seconds",
    "mhhs_celery_queue_depth",
    "mhhs_outbox_backlog",
    "mhhs_outbox_oldest_age_seconds",
    "mhhs_outbox_undeliverable",
    "mhhs_sla_clocks_at_risk",
    "mhhs_sla_clocks_breached",
    "mhhs_triage_queue_length",
    "mhhs_triage_queue_oldest_age_seconds",
    "mhhs_inbound_email_failures",
    "mhhs_worker_heartbeat_age_seconds",
    "mhhs_periodic_task_last_success_age_seconds",
]
TOKEN = "scrape-token-for-tests"


@pytest.fixture
def metrics_settings(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = ["10.1.2.0/24"]
    return settings


def scrape(client, **headers):
    return client.get("/metrics", headers=headers)


def families(response) -> dict:
    return {f.name: f for f in text_string_to_metric_families(response.content.decode())}


@pytest.mark.django_db
def test_metrics_refused_without_token_or_allowed_address(client, metrics_settings):
    assert scrape(client).status_code == 403
    assert scrape(client, Authorization="Bearer wrong").status_code == 403
    assert scrape(client, Authorization=TOKEN).status_code == 403


@pytest.mark.django_db
def test_metrics_refused_to_everyone_when_nothing_is_configured(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []
    assert scrape(client).status_code == 403
    assert scrape(client, Authorization="Bearer ").status_code == 403


@pytest.mark.django_db
def test_metrics_for_allowed_address_without_token(client, metrics_settings):
    response = client.get("/metrics", REMOTE_ADDR="10.1.2.7")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.django_db
def test_metrics_expose_every_listed_series(client, metrics_settings, org_user):
    """A raised case leaves an unsent acknowledgement (its on-commit delivery does not run
    here), a case in triage and running clocks; an eager sweep and two requests give the
    counters samples."""
    from comms.tasks import outbound_message_resend_pending_task

    outbound_message_resend_pending_task.delay()
    CaseFactory(caller=org_user)
    client.get("/healthz")
    client.get("/no/such/page/1234/")

    response = scrape(client, Authorization=f"Bearer {TOKEN}")
    assert response.status_code == 200
    found = families(response)
    missing = [name for name in SERIES if name not in found]
    assert not missing

    def samples(name):
        return [(s.name, s.labels, s.value) for s in found[name].samples]

    assert samples("mhhs_triage_queue_length") == [("mhhs_triage_queue_length", {}, 1.0)]
    assert samples("mhhs_outbox_backlog")[0][2] >= 1
    routes = {labels["route"] for _, labels, _ in samples("mhhs_http_requests")}
    assert {"healthz", "unmatched"} <= routes
    # The raw path never becomes a label (a series per ticket number); values are figures, so
    # only the labels are searched (a latency sum may hold the digits 1234).
    label_values = [
        value
        for family in found.values()
        for sample in family.samples
        for value in sample.labels.values()
    ]
    assert not [value for value in label_values if "/no/such/page" in value or "1234" in value]
    tasks = {labels["task"] for _, labels, _ in samples("mhhs_celery_task_runs")}
    assert "comms.tasks.outbound_message_resend_pending_task" in tasks
    depth = samples("mhhs_celery_queue_depth")
    assert depth and depth[0][1] == {"queue": "celery"}
    assert depth[0][2] >= 0, "the broker answered"


@pytest.mark.django_db
def test_dashboard_and_alert_rules_name_only_exposed_series(client, metrics_settings):
    """deploy/monitoring must not drift from what /metrics exposes."""
    import json
    import re
    from pathlib import Path

    import yaml

    folder = Path(__file__).resolve().parents[2] / "deploy" / "monitoring"
    rules = yaml.safe_load((folder / "alerts.yml").read_text())
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    dashboard = json.loads((folder / "grafana-dashboard.json").read_text())
    exprs += [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    exposed = set(families(scrape(client, Authorization=f"Bearer {TOKEN}")))
    named = {
        re.sub(r"(_bucket|_sum|_count|_total)$", "", name)
        for expr in exprs
        for name in re.findall(r"\bmhhs_[a-z_]+", expr)
    }
    assert named and named <= exposed, named - exposed
    assert {"MhhsOutboxStuck", "MhhsSweepLate", "MhhsBreachCountRising", "MhhsWorkerGone"} <= {
        rule["alert"] for group in rules["groups"] for rule in group["rules"]
    }


@pytest.mark.integration
@pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis://"),
    reason="needs Redis as the broker: set CELERY_BROKER_URL=redis://... (CI does)",
)
@pytest.mark.django_db
def test_queue_depth_counts_messages_waiting_in_the_broker():
    from mhhs_portal.celery import app as celery_app
    from ops.selectors import broker_queue_depth

    celery_app.control.purge()
    assert broker_queue_depth() == {"celery": 0}
    celery_app.conf.task_always_eager = False
    celery_app.send_task("ops.tasks.worker_heartbeat_task")
    celery_app.send_task("ops.tasks.worker_heartbeat_task")
    try:
        assert broker_queue_depth() == {"celery": 2}
    finally:
        celery_app.control.purge()


@pytest.mark.django_db
@pytest.mark.parametrize("cases", [2, 20])
def test_scrape_query_count_is_constant(
    cases, client, metrics_settings, org_user, django_assert_num_queries
):
    for _ in range(cases):
        CaseFactory(caller=org_user)
    # 1 outbox aggregate; 2 inbound failures count; 3 open SLA clocks aggregate; 4 triage
    # queue aggregate; 5 last success of the heartbeat and each periodic task. Token access
    # needs no query; the queue depth asks the broker.
    with django_assert_num_queries(5):
        response = scrape(client, Authorization=f"Bearer {TOKEN}")
    assert response.status_code == 200
