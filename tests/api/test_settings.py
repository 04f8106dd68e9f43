"""The API's settings come from the environment and stop start-up when mistyped."""

import pytest

from tests.core.test_settings import import_settings


def test_it_has_safe_defaults():
    result = import_settings("print(s.API_RATE, s.API_MAX_BODY_BYTES, s.API_BATCH_MAX_BODY_BYTES)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["600/min", str(1024 * 1024), str(32 * 1024 * 1024)]


def test_it_reads_them_from_the_environment():
    result = import_settings("print(s.API_RATE, s.API_BATCH_MAX_BODY_BYTES)", API_RATE="50/s",
                             API_BATCH_MAX_BODY_BYTES="1000")
    assert result.stdout.split() == ["50/s", "1000"]


@pytest.mark.parametrize("rate", ["fast", "600", "600/fortnight", "/min", "-1/min"])
def test_it_refuses_a_rate_it_cannot_read(rate):
    result = import_settings("", API_RATE=rate)
    assert result.returncode != 0
    assert "API_RATE" in result.stderr
