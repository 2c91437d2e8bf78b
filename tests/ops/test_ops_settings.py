"""Operations settings (issue 14): readable logs by default, JSON on request, and values that
cannot be used refused at start-up (docs/conventions.md §4)."""

import os
import subprocess
import sys

from mhhs_portal.settings import BASE_DIR


def _settings(tmp_path, expression: str, **overrides: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "VAR_DIR": str(tmp_path / "var"), "SECRET_KEY": "x" * 50, **overrides}
    for name in ("LOG_FORMAT", "METRICS_ALLOWED_IPS"):
        if name not in overrides:
            env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-c", f"import mhhs_portal.settings as s; print({expression})"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_logs_are_plain_by_default_and_json_on_request(tmp_path):
    handler = 's.LOGGING["handlers"]["console"]["formatter"]'
    assert _settings(tmp_path, handler).stdout.strip() == "plain"
    assert _settings(tmp_path, handler, LOG_FORMAT="json").stdout.strip() == "json"


def test_unknown_log_format_stops_start_up(tmp_path):
    result = _settings(tmp_path, "s.LOG_FORMAT", LOG_FORMAT="xml")
    assert result.returncode != 0
    assert 'LOG_FORMAT must be "plain" or "json"' in result.stderr


def test_metrics_addresses_are_checked_at_start_up(tmp_path):
    ok = _settings(tmp_path, "s.METRICS_ALLOWED_IPS", METRICS_ALLOWED_IPS="10.0.0.0/8,::1")
    assert ok.stdout.strip() == "['10.0.0.0/8', '::1']"
    bad = _settings(tmp_path, "s.METRICS_ALLOWED_IPS", METRICS_ALLOWED_IPS="prometheus.local")
    assert bad.returncode != 0
    assert "METRICS_ALLOWED_IPS must list addresses or networks" in bad.stderr
