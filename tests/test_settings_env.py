"""Settings read the environment through helpers that refuse values they cannot parse, and
start-up stops with a clear message when something essential is missing (docs/conventions.md §4)."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from mhhs_portal.settings import BASE_DIR, env_bool, env_int, env_list, env_str


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "on", " On "])
def test_env_bool_reads_true(monkeypatch, value):
    monkeypatch.setenv("X_FLAG", value)
    assert env_bool("X_FLAG") is True


@pytest.mark.parametrize("value", ["0", "false", "no", "off", ""])
def test_env_bool_reads_false(monkeypatch, value):
    monkeypatch.setenv("X_FLAG", value)
    assert env_bool("X_FLAG", True) is False


@pytest.mark.parametrize("value", ["maybe", "2", "enabled", "y"])
def test_env_bool_refuses_what_it_cannot_parse(monkeypatch, value):
    monkeypatch.setenv("X_FLAG", value)
    with pytest.raises(ImproperlyConfigured, match="X_FLAG must be a boolean"):
        env_bool("X_FLAG")


def test_env_bool_and_int_default_when_unset(monkeypatch):
    monkeypatch.delenv("X_UNSET", raising=False)
    assert env_bool("X_UNSET") is False
    assert env_bool("X_UNSET", True) is True
    assert env_int("X_UNSET", 25) == 25
    assert env_str("X_UNSET", "fallback") == "fallback"


def test_env_int_reads_an_integer(monkeypatch):
    monkeypatch.setenv("X_PORT", " 587 ")
    assert env_int("X_PORT", 25) == 587


@pytest.mark.parametrize("value", ["ten", "2.5", "", "25s"])
def test_env_int_refuses_what_it_cannot_parse(monkeypatch, value):
    monkeypatch.setenv("X_PORT", value)
    with pytest.raises(ImproperlyConfigured, match="X_PORT must be an integer"):
        env_int("X_PORT", 25)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("X_HOSTS", " portal.example , ,localhost,")
    assert env_list("X_HOSTS") == ["portal.example", "localhost"]
    monkeypatch.delenv("X_HOSTS")
    assert env_list("X_HOSTS", "a,b") == ["a", "b"]


def _import_settings(tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess:
    """Import the settings module in a fresh interpreter with a clean VAR_DIR and no secret."""
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "SECRET_KEY_FILE"}}
    env.update({"VAR_DIR": str(tmp_path / "var"), **overrides})
    return subprocess.run(
        [sys.executable, "-c", "import mhhs_portal.settings as s; print(s.SECRET_KEY)"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_secret_key_stops_start_up_with_a_clear_message(tmp_path):
    result = _import_settings(tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "No SECRET_KEY: set SECRET_KEY, or SECRET_KEY_FILE" in result.stderr


def test_secret_key_is_read_from_the_environment_or_a_file(tmp_path):
    result = _import_settings(tmp_path, SECRET_KEY="from-the-environment")
    assert (result.returncode, result.stdout.strip()) == (0, "from-the-environment"), result.stderr
    key_file = tmp_path / "key"
    key_file.write_text("from-a-file\n")
    result = _import_settings(tmp_path, SECRET_KEY_FILE=str(key_file))
    assert (result.returncode, result.stdout.strip()) == (0, "from-a-file"), result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DJANGO_DEBUG", "maybe", "DJANGO_DEBUG must be a boolean"),
        ("EMAIL_PORT", "smtp", "EMAIL_PORT must be an integer"),
        (
            "DATABASE_URL",
            "mysql://root@127.0.0.1/test",
            "DATABASE_URL must be sqlite:// or postgres://",
        ),
        ("CACHE_URL", "memcached://127.0.0.1:11211", "CACHE_URL must be redis://"),
        ("API_TOKEN_DEFAULT_DAYS", "400", "API_TOKEN_DEFAULT_DAYS must be at least 1"),
    ],
)
def test_bad_values_stop_start_up_naming_the_variable(tmp_path, name, value, message):
    result = _import_settings(tmp_path, SECRET_KEY="x", **{name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_env_example_lists_every_variable_settings_read():
    """`.env.example` is the one list of configuration (docs/conventions.md §4)."""
    source = (BASE_DIR / "mhhs_portal" / "settings.py").read_text()
    read = set(re.findall(r"env_(?:str|bool|int|list)\(\s*\"([A-Z0-9_]+)\"", source))
    example = (BASE_DIR / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert read, "no env_* calls found in settings.py"
    assert read - listed == set()


# Variables that decide the HTTPS and proxy behaviour; removed from the environment the
# subprocesses below inherit, so each test sets exactly what it is about.
_SECURITY_VARIABLES = {
    "DJANGO_DEBUG",
    "ALLOWED_HOSTS",
    "SECURE_COOKIES",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "TRUSTED_PROXY_COUNT",
}


def _run(tmp_path: Path, args: list[str], **overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in _SECURITY_VARIABLES}
    env.update({"VAR_DIR": str(tmp_path / "var"), "SECRET_KEY": "x", **overrides})
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def _settings(tmp_path: Path, names: list[str], **overrides: str) -> dict:
    code = (
        "import json, mhhs_portal.settings as s; "
        f"print(json.dumps({{n: getattr(s, n, None) for n in {names!r}}}, default=list))"
    )
    result = _run(tmp_path, ["-c", code], **overrides)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_settings_pass_the_deployment_checks(tmp_path):
    """README "Production settings": DEBUG off, a long random key, the host name and
    SECURE_COOKIES=1 give a `check --deploy` with no warning at all (HSTS, HTTPS redirect,
    Secure cookies)."""
    result = _run(
        tmp_path,
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="servicedesk.example",
        SECURE_COOKIES="1",
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output and "security.W" not in output


def test_https_settings_follow_secure_cookies(tmp_path):
    """SECURE_COOKIES=1 turns on Secure cookies, the HTTPS redirect and a year of HSTS."""
    values = _settings(
        tmp_path,
        ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT"]
        + ["SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD"],
        SECURE_COOKIES="1",
    )
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
    }


def test_local_defaults_serve_plain_http(tmp_path):
    """`make run` on http://127.0.0.1 sets none of the variables: no redirect, no HSTS."""
    values = _settings(
        tmp_path,
        ["SESSION_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"]
        + ["SECURE_PROXY_SSL_HEADER", "TRUSTED_PROXY_COUNT", "ALLAUTH_TRUSTED_PROXY_COUNT"],
        DJANGO_DEBUG="1",
    )
    assert values == {
        "SESSION_COOKIE_SECURE": False,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_PROXY_SSL_HEADER": None,
        "TRUSTED_PROXY_COUNT": 0,
        "ALLAUTH_TRUSTED_PROXY_COUNT": 0,
    }


def test_each_https_part_can_be_set_on_its_own(tmp_path):
    """Behind a TLS-terminating proxy: its header, and HSTS shortened while trying a new host."""
    values = _settings(
        tmp_path,
        ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD"]
        + ["SECURE_PROXY_SSL_HEADER"],
        SECURE_COOKIES="1",
        SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_PRELOAD="0",
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
    )
    assert values == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 3600,
        "SECURE_HSTS_PRELOAD": False,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


def test_trusted_proxy_count_sets_sign_in_and_api_throttling(tmp_path):
    """§10.5.2: one variable says how many proxies' X-Forwarded-For entries are believed."""
    values = _settings(
        tmp_path, ["ALLAUTH_TRUSTED_PROXY_COUNT", "REST_FRAMEWORK"], TRUSTED_PROXY_COUNT="2"
    )
    assert values["ALLAUTH_TRUSTED_PROXY_COUNT"] == 2
    assert values["REST_FRAMEWORK"]["NUM_PROXIES"] == 2


@pytest.mark.parametrize("value", ["-1", "one"])
def test_bad_trusted_proxy_count_stops_start_up(tmp_path, value):
    result = _run(tmp_path, ["-c", "import mhhs_portal.settings"], TRUSTED_PROXY_COUNT=value)
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT must be" in result.stderr


@pytest.mark.parametrize(
    "value, rate", [("600/min", "600/min"), ("5/S", "5/s"), ("none", None), ("off", None)]
)
def test_api_rates_are_read_from_the_environment(monkeypatch, value, rate):
    """Issue 9: the API throttle is configurable ("none" switches it off)."""
    from mhhs_portal.settings import env_rate

    monkeypatch.setenv("X_RATE", value)
    assert env_rate("X_RATE", "600/min") == rate


@pytest.mark.parametrize("value", ["600", "0/min", "ten/min", "600/fortnight", "-5/min"])
def test_an_api_rate_that_is_not_one_stops_start_up(monkeypatch, value):
    from mhhs_portal.settings import env_rate

    monkeypatch.setenv("X_RATE", value)
    with pytest.raises(ImproperlyConfigured, match="X_RATE must be a rate"):
        env_rate("X_RATE", "600/min")
