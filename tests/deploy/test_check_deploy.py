"""`manage.py check --deploy` is clean with production settings; the settings of this area read
their variables strictly."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Everything a developer's shell might set that would change what these tests observe.
DEPLOYMENT_VARS = ["DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS",
                   "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD", "LOG_FORMAT", "LOG_LEVEL",
                   "MEDIA_STORAGE", "DATABASE_REPLICA_URL", "DJANGO_SETTINGS_MODULE",
                   # The browser tests set it for Playwright's event loop in this process; no deployment has it.
                   "DJANGO_ALLOW_ASYNC_UNSAFE"]


def production_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in DEPLOYMENT_VARS and not k.startswith("AWS_")}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="rumorcases.example.gov.cn",
        CSRF_TRUSTED_ORIGINS="https://rumorcases.example.gov.cn",
        LOG_FORMAT="json",
    )
    env.update(extra)
    return env


def run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )


def run_check_deploy(env: dict) -> subprocess.CompletedProcess:
    return run_python(
        "import django\n"
        "from django.core.management import call_command\n"
        "django.setup()\n"
        "call_command('check', '--deploy', '--fail-level', 'WARNING')\n",
        {**env, "DJANGO_SETTINGS_MODULE": "rumorcases.settings"},
    )


def test_it_passes_check_deploy_with_production_settings():
    result = run_check_deploy(production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_it_fails_check_deploy_when_hsts_is_turned_off():
    # The check is not silenced wholesale: turning a protection off is still caught.
    result = run_check_deploy(production_env(SECURE_HSTS_SECONDS="0"))
    assert result.returncode != 0
    assert "security.W004" in result.stderr


def test_it_fails_check_deploy_when_ssl_redirect_is_turned_off():
    result = run_check_deploy(production_env(SECURE_SSL_REDIRECT="false"))
    assert result.returncode != 0
    assert "security.W008" in result.stderr


def test_it_passes_check_deploy_with_preload_on_too():
    # With preload on, W021 is no longer silenced, and is satisfied.
    result = run_check_deploy(production_env(SECURE_HSTS_PRELOAD="true"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_sets_the_production_security_settings():
    result = run_python(
        "import json, rumorcases.settings as s\n"
        "print(json.dumps({k: getattr(s, k) for k in ['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', "
        "'X_FRAME_OPTIONS', 'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY', 'CONTENT_SECURITY_POLICY', "
        "'SECURE_PROXY_SSL_HEADER']}))",
        production_env(),
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is False
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    directives = values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_it_writes_json_log_lines_with_the_request_id():
    result = run_python(
        "import django, logging\n"
        "django.setup()\n"
        "from rumorcases.core import request_id\n"
        "token = request_id._request_id.set('req-42')\n"
        "logging.getLogger('rumorcases.test').warning('谣言 %s', 'x')\n",
        {**production_env(), "DJANGO_SETTINGS_MODULE": "rumorcases.settings"},
    )
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "谣言 x"
    assert line["request_id"] == "req-42"
    assert line["level"] == "WARNING"
    assert line["logger"] == "rumorcases.test"


def test_it_writes_plain_log_lines_by_default():
    env = production_env()
    del env["LOG_FORMAT"]
    result = run_python(
        "import django, logging\ndjango.setup()\nlogging.getLogger('rumorcases.test').warning('hello')\n",
        {**env, "DJANGO_SETTINGS_MODULE": "rumorcases.settings"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().endswith("WARNING rumorcases.test [-] hello")


@pytest.mark.parametrize(("name", "value", "message"), [
    ("LOG_FORMAT", "xml", "LOG_FORMAT must be plain or json"),
    ("MEDIA_STORAGE", "ftp", "MEDIA_STORAGE must be local or s3"),
    ("MEDIA_STORAGE", "s3", "MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME"),
    ("SECURE_HSTS_PRELOAD", "maybe", "SECURE_HSTS_PRELOAD must be true or false"),
])
def test_it_refuses_bad_values(name, value, message):
    result = run_python("import rumorcases.settings", production_env(**{name: value}))
    assert result.returncode != 0
    assert message in result.stderr


def test_it_stores_media_in_s3_when_asked():
    result = run_python(
        "import json, rumorcases.settings as s\nprint(json.dumps(s.STORAGES['default']))",
        production_env(MEDIA_STORAGE="s3", AWS_STORAGE_BUCKET_NAME="evidence",
                       AWS_S3_ENDPOINT_URL="https://minio.internal:9000", AWS_ACCESS_KEY_ID="key",
                       AWS_SECRET_ACCESS_KEY="secret"),
    )
    assert result.returncode == 0, result.stderr
    storage = json.loads(result.stdout)
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "evidence"
    assert storage["OPTIONS"]["endpoint_url"] == "https://minio.internal:9000"
    assert storage["OPTIONS"]["default_acl"] is None
    assert storage["OPTIONS"]["file_overwrite"] is False


def test_it_routes_to_a_replica_only_when_one_is_configured():
    code = ("import json, rumorcases.settings as s\n"
            "print(json.dumps([sorted(s.DATABASES), getattr(s, 'DATABASE_ROUTERS', [])]))")
    without = run_python(code, production_env())
    assert json.loads(without.stdout) == [["default"], []]
    with_replica = run_python(code, production_env(DATABASE_REPLICA_URL="postgres://ro@replica.internal/rumorcases"))
    assert json.loads(with_replica.stdout) == [["default", "replica"], ["rumorcases.core.db_router.ReplicaRouter"]]
