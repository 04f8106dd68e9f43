"""Editing and ordering the entries of a draft bulletin."""

import pytest
from django.utils import timezone

from rumorcases.bulletins import services as bulletins
from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.models import AuditEvent


@pytest.fixture
def draft(build, cast):
    today = timezone.localdate()
    bulletin = bulletins.bulletin_create(by=cast.publisher, title="曝光台", period_start=today, period_end=today)
    for n in range(3):
        bulletins.bulletin_add_entry(bulletin=bulletin, case=build.exposing(), by=cast.publisher, headline=f"h{n}",
                                     rumour_summary="r", finding_summary="f")
    return bulletin


def order(bulletin):
    return list(bulletin.entries.order_by("position", "id").values_list("headline", "position"))


def test_it_changes_an_entrys_texts(draft, cast):
    entry = draft.entries.get(headline="h0")
    bulletins.bulletin_update_entry(entry=entry, by=cast.publisher, headline=" 新标题 ", rumour_summary="网传",
                                    finding_summary="不实", measures="微博 @a 警告")
    entry.refresh_from_db()
    assert (entry.headline, entry.rumour_summary, entry.finding_summary, entry.measures_summary) == (
        "新标题", "网传", "不实", "微博 @a 警告")
    assert AuditEvent.objects.filter(action="bulletin.entry_changed").count() == 1


def test_it_needs_the_texts_and_the_role(draft, cast):
    entry = draft.entries.get(headline="h0")
    with pytest.raises(ApplicationError) as refused:
        bulletins.bulletin_update_entry(entry=entry, by=cast.publisher, headline="", rumour_summary=" ",
                                        finding_summary="f")
    assert set(refused.value.fields) == {"headline", "rumour_summary"}
    with pytest.raises(ApplicationError) as refused:
        bulletins.bulletin_update_entry(entry=entry, by=cast.auditor, headline="x", rumour_summary="r",
                                        finding_summary="f")
    assert refused.value.status_code == 403
    entry.refresh_from_db()
    assert entry.headline == "h0"


def test_it_moves_entries_and_renumbers(draft, cast):
    last = draft.entries.get(headline="h2")
    bulletins.bulletin_move_entry(entry=last, by=cast.publisher, direction="up")
    assert order(draft) == [("h0", 1), ("h2", 2), ("h1", 3)]
    bulletins.bulletin_move_entry(entry=draft.entries.get(headline="h0"), by=cast.publisher, direction="up")
    assert order(draft) == [("h0", 1), ("h2", 2), ("h1", 3)]  # already first
    bulletins.bulletin_remove_entry(entry=draft.entries.get(headline="h2"), by=cast.publisher)
    bulletins.bulletin_move_entry(entry=draft.entries.get(headline="h0"), by=cast.publisher, direction="down")
    assert order(draft) == [("h1", 1), ("h0", 2)]  # the gap left by the removal closed too


def test_it_changes_only_drafts(draft, cast):
    bulletins.bulletin_submit(bulletin=draft, by=cast.publisher)
    entry = draft.entries.get(headline="h1")
    entry.bulletin.refresh_from_db()
    for call in (lambda: bulletins.bulletin_move_entry(entry=entry, by=cast.publisher, direction="up"),
                 lambda: bulletins.bulletin_update_entry(entry=entry, by=cast.publisher, headline="x",
                                                         rumour_summary="r", finding_summary="f")):
        with pytest.raises(ApplicationError) as refused:
            call()
        assert refused.value.status_code == 409
    assert order(draft) == [("h0", 1), ("h1", 2), ("h2", 3)]


def test_it_refuses_an_unknown_direction(draft, cast):
    with pytest.raises(ApplicationError):
        bulletins.bulletin_move_entry(entry=draft.entries.first(), by=cast.publisher, direction="left")
