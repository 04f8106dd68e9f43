"""Settings read from the environment through strict helpers; safe defaults for a fresh checkout."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from rumorcases.core.env import envbool, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Everything a deployment might set that would change what these tests observe.
DEPLOYMENT_VARS = ["DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "DATABASE_URL", "DATABASE_URL_FILE",
                   "TEST_DATABASE_NAME", "RUMORCASES_VAR_DIR", "DJANGO_SETTINGS_MODULE", "MATCH_NEAR_DUPLICATES",
                   "MATCH_NEAR_THRESHOLD"]


def import_settings(code: str, **env):
    """Run `code` after importing the settings module in a fresh interpreter with only `env` set."""
    clean = {k: v for k, v in os.environ.items() if k not in DEPLOYMENT_VARS}
    clean.update(env)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"import rumorcases.settings as s\n{code}"],
        cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=60, check=False,
    )


@pytest.mark.parametrize("raw", ["1", "true", "True", "TRUE", "yes", "on", " true "])
def test_it_reads_true(monkeypatch, raw):
    monkeypatch.setenv("RC_FLAG", raw)
    assert envbool("RC_FLAG", False) is True


@pytest.mark.parametrize("raw", ["0", "false", "False", "no", "off", "OFF"])
def test_it_reads_false(monkeypatch, raw):
    monkeypatch.setenv("RC_FLAG", raw)
    assert envbool("RC_FLAG", True) is False


@pytest.mark.parametrize("raw", ["maybe", "ture", "2", "enabled", "y"])
def test_it_refuses_anything_else_as_a_boolean(monkeypatch, raw):
    monkeypatch.setenv("RC_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="RC_FLAG"):
        envbool("RC_FLAG", True)


def test_it_uses_the_default_when_unset_or_empty(monkeypatch):
    monkeypatch.delenv("RC_FLAG", raising=False)
    assert envbool("RC_FLAG", True) is True
    assert envbool("RC_FLAG", False) is False
    assert envint("RC_FLAG", 7) == 7
    monkeypatch.setenv("RC_FLAG", "")
    assert envbool("RC_FLAG", True) is True
    assert envint("RC_FLAG", 7) == 7


def test_it_reads_integers(monkeypatch):
    monkeypatch.setenv("RC_NUMBER", "42")
    assert envint("RC_NUMBER", 1) == 42
    monkeypatch.setenv("RC_NUMBER", "-3")
    assert envint("RC_NUMBER", 1) == -3


@pytest.mark.parametrize("raw", ["forty", "4.5", "10MB"])
def test_it_refuses_what_is_not_an_integer(monkeypatch, raw):
    monkeypatch.setenv("RC_NUMBER", raw)
    with pytest.raises(ImproperlyConfigured, match="RC_NUMBER"):
        envint("RC_NUMBER", 1)


def test_it_reads_lists(monkeypatch):
    monkeypatch.setenv("RC_HOSTS", " a.example , b.example,, ")
    assert envlist("RC_HOSTS", ["x"]) == ["a.example", "b.example"]
    monkeypatch.setenv("RC_HOSTS", "  ")
    assert envlist("RC_HOSTS", ["x"]) == ["x"]


def test_it_reads_a_secret_from_its_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text("from-the-file\n", encoding="utf-8")
    monkeypatch.setenv("RC_SECRET", "from-the-env")
    monkeypatch.setenv("RC_SECRET_FILE", str(secret))
    assert envstr("RC_SECRET") == "from-the-file"
    monkeypatch.delenv("RC_SECRET_FILE")
    assert envstr("RC_SECRET") == "from-the-env"


def test_it_fails_when_the_secret_file_is_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("RC_SECRET_FILE", str(tmp_path / "absent"))
    with pytest.raises(FileNotFoundError):
        envstr("RC_SECRET")


def test_it_takes_secret_key_from_secret_key_file(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text("a-long-production-secret\n", encoding="utf-8")
    result = import_settings("print(s.SECRET_KEY)", DEBUG="false", SECRET_KEY_FILE=str(secret))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "a-long-production-secret"


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = import_settings("print('started')", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
    assert "started" not in result.stdout


def test_it_refuses_a_misspelt_debug():
    result = import_settings("print('started')", DEBUG="flase", SECRET_KEY="x")
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_it_starts_in_debug_with_a_development_key_when_nothing_is_set():
    result = import_settings("print(s.DEBUG, bool(s.SECRET_KEY))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]


def test_it_uses_sqlite_under_var_by_default():
    result = import_settings("d = s.DATABASES['default']\nprint(d['ENGINE'])\nprint(d['NAME'])")
    assert result.returncode == 0, result.stderr
    engine, name = result.stdout.splitlines()
    assert engine == "django.db.backends.sqlite3"
    assert Path(name) == BASE_DIR / "var" / "rumorcases.sqlite3"


def test_it_uses_postgresql_when_database_url_is_set():
    result = import_settings(
        "d = s.DATABASES['default']\nprint(d['ENGINE'], d['NAME'], d['HOST'], d['PORT'])",
        DATABASE_URL="postgres://office:pw@db.internal:5433/rumorcases",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "rumorcases", "db.internal", "5433"]


def test_it_keeps_time_in_utc_and_shows_shanghai():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


def test_it_speaks_chinese_and_english():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]


@pytest.mark.parametrize(("raw", "message"), [
    ("abc", "MATCH_NEAR_THRESHOLD must be a number"),
    ("0", "MATCH_NEAR_THRESHOLD must be above 0 and at most 1"),
    ("1.5", "MATCH_NEAR_THRESHOLD must be above 0 and at most 1"),
])
def test_it_refuses_a_near_duplicate_threshold_outside_0_to_1(raw, message):
    result = import_settings("print('started')", MATCH_NEAR_THRESHOLD=raw)
    assert result.returncode != 0
    assert message in result.stderr


def test_near_duplicate_matching_is_on_by_default_and_the_threshold_can_be_set():
    result = import_settings("print(s.MATCH_NEAR_DUPLICATES, s.MATCH_NEAR_THRESHOLD)", MATCH_NEAR_THRESHOLD="0.8")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "0.8"]
