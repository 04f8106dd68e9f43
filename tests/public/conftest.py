import pytest
from django.core.cache import cache

from rumorcases.core import demo


@pytest.fixture(autouse=True)
def _recheck_every_time(settings):
    # Every request reads the stamp (as with DEBUG on); tests of the quiet period set it.
    settings.PUBLIC_PAGE_RECHECK_SECONDS = 0


@pytest.fixture(autouse=True)
def _empty_cache():
    # Pages are cached across requests; a test starts with none from another test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demo_data(db, settings, django_capture_on_commit_callbacks):
    settings.DEBUG = True  # the demo refuses to run without it
    with django_capture_on_commit_callbacks(execute=True):
        demo.demo_load()
    settings.DEBUG = False
