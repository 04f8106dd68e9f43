from datetime import timedelta

import pytest
from django.utils import timezone

from rumorcases.disposal import services as disposal
from rumorcases.operations.roles import OFFICE_HEAD
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def _ladder(settings):
    settings.ESCALATE_SUPERVISOR_AFTER_HOURS = 4
    settings.ESCALATE_HEAD_AFTER_HOURS = 24


@pytest.fixture
def head(cast):
    return make_user("hannah", OFFICE_HEAD)


def at(time_machine, when):
    time_machine.move_to(when, tick=False)


def order_for(case, platform, cast, hours=24):
    return disposal.order_issue(case=case, platform=platform, due_at=timezone.now() + timedelta(hours=hours),
                                by=cast.disposal, items=[{"kind": "remove_content", "url": "https://weibo.example/x"}])
