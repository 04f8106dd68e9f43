"""Near-duplicate matching: MinHash band keys, candidate lookup, weighted re-score, swapped names."""

import json
from pathlib import Path

import pytest

from rumorcases.cases import fingerprints
from rumorcases.cases.intake import report_ingest_batch
from rumorcases.cases.matching import BatchMatcher, _candidate_reports, match_report
from rumorcases.cases.models import ReportFingerprint
from rumorcases.cases.normalise import normalise
from rumorcases.cases.services import report_ingest
from tests.conftest import report_input

RUMOUR = ("紧急扩散！某市自来水厂被投毒，今晚十点起全市停水，大家赶快储水，"
          "消息来自自来水公司内部员工，请转告身边的亲人朋友")
POSTS = Path(__file__).resolve().parents[3] / "shared" / "data" / "weibo-ced" / "posts.jsonl"
PAIRS = Path(__file__).parent.parent / "data" / "same_rumour_pairs.jsonl"


@pytest.fixture(autouse=True)
def _near_matching(settings):
    settings.MATCH_NEAR_DUPLICATES = True  # on by default, off in tests/conftest.py


@pytest.fixture
def stored(platform):
    return report_ingest(platform=platform, data=report_input(external_id="orig", content=RUMOUR))


@pytest.mark.parametrize("variant", [
    RUMOUR[:40],  # truncated
    "太可怕了，大家注意！" + RUMOUR,  # reposted with a comment
    RUMOUR.replace("赶快储水", "快点存水").replace("亲人朋友", "家人"),  # reworded
])
def test_it_joins_a_variant_as_near_duplicate(platform, stored, variant, settings):
    done = report_ingest(platform=platform, data=report_input(external_id="v", content=variant))
    assert done.case == stored.case
    assert done.report.match_reason == "near_duplicate"
    assert settings.MATCH_NEAR_THRESHOLD <= done.report.match_score <= 1.0


def test_it_opens_a_case_for_an_unrelated_post(platform, stored):
    done = report_ingest(platform=platform, data=report_input(external_id="u", content="网传某公园发生雷击致多人死亡"))
    assert done.case != stored.case
    assert done.report.match_reason == "new_case"


def test_it_honours_the_threshold_setting(platform, stored, settings):
    variant = "太可怕了！某市自来水厂被投毒，今晚十点起全市停水，大家快点存水，请转告身边的人"
    found = match_report(url="", text=variant)
    assert found.reason == "near_duplicate" and found.score < 1.0
    settings.MATCH_NEAR_THRESHOLD = found.score + 0.01
    assert match_report(url="", text=variant).case is None


def test_it_writes_fingerprints_for_single_and_batch_intake(platform, stored):
    assert ReportFingerprint.objects.filter(report=stored.report).count() == fingerprints.BANDS
    assert stored.report.normalised == normalise(RUMOUR)
    results = report_ingest_batch(platform=platform, items=[
        report_input(external_id="b1", content="另一条谣言：某地地震后将有余震，今晚不要回家睡觉"),
        report_input(external_id="b2", content="另一条谣言：某地地震后将有余震，今晚不要回家睡觉，转给家人"),
    ])
    for result in results:
        assert ReportFingerprint.objects.filter(report=result.report).count() == fingerprints.BANDS
    assert results[1].case == results[0].case  # near duplicate within the same batch
    assert results[1].report.match_reason == "near_duplicate"


def test_batch_and_single_intake_agree_on_near_duplicates(platform, stored):
    variant = "太可怕了，大家注意！" + RUMOUR
    expected = match_report(url="", text=variant)
    [result] = report_ingest_batch(platform=platform, items=[report_input(external_id="v2", content=variant)])
    assert (result.case, result.report.match_reason, result.report.match_score) == \
        (expected.case, expected.reason, expected.score)


def test_match_report_costs_a_constant_number_of_queries(platform, stored, django_assert_max_num_queries):
    for n in range(5):
        report_ingest(platform=platform, data=report_input(external_id=f"x{n}", content=f"{RUMOUR[:20]}第{n}条"))
    with django_assert_max_num_queries(5):  # URL, text hash, band keys, candidate texts, the case
        match_report(url="https://weibo.example/none", text="太可怕了，大家注意！" + RUMOUR)


@pytest.mark.skipif(not POSTS.exists(), reason="posts.jsonl is not on this machine")
def test_precision_on_a_fixed_subset_of_the_labelled_pairs(settings):
    posts = {post["id"]: post["text"] for post in map(json.loads, POSTS.open(encoding="utf-8"))}
    pairs = [json.loads(line) for line in PAIRS.open(encoding="utf-8")][::9][:40]  # a fixed subset
    hits = []
    for pair in pairs:
        a, b = normalise(posts[pair["a"]]), normalise(posts[pair["b"]])
        proposed = set(fingerprints.band_keys(a)) & set(fingerprints.band_keys(b))
        if proposed and fingerprints.similarity(a, b) >= settings.MATCH_NEAR_THRESHOLD:
            hits.append(pair["same"])
    positives = sum(pair["same"] for pair in pairs)
    print(f"subset: {len(pairs)} pairs, {len(hits)} matched, recall {sum(hits) / positives:.2f}")
    assert hits and sum(hits) / len(hits) >= 0.97


NEAR_TEXTS = [RUMOUR, RUMOUR[:40], "太可怕了，大家注意！" + RUMOUR, RUMOUR.replace("赶快储水", "快点存水"),
              "网传某公园发生雷击致多人死亡", "网传某公园昨天发生雷击，致多人死亡，大家小心",
              "网传地铁二号线明日全线停运",
              "网传地铁二号线明日全线停运检修", "！！！"]


@pytest.mark.parametrize("seed", range(8))
def test_batch_intake_answers_like_report_ingest_with_near_duplicates(platform, cast, seed):
    import random

    from tests.cases.test_intake_batch import assert_same, item, run_both

    rng = random.Random(seed)  # noqa: S311 - reproducible test data

    def random_item(external_ids):
        return item(f"n-{rng.randrange(external_ids)}", rng.choice(NEAR_TEXTS),
                    url=rng.choice(["", "", "https://weibo.example/n/1"]))

    prior = [random_item(6) for _ in range(4)]
    items = [random_item(20) for _ in range(30)]

    def setup():
        report_ingest_batch(platform=platform, items=prior)

    bulk, one_by_one = run_both(setup, items, platform=platform)
    assert_same(bulk, one_by_one)
    assert "near_duplicate" in repr(one_by_one["reports"])


@pytest.mark.parametrize("seed", range(8))
def test_batch_and_single_intake_agree_when_the_batch_crowds_out_stored_candidates(monkeypatch, platform, cast, seed):
    # Tiny windows: a batch's own reports push stored ones out of a key's newest postings and
    # out of the candidate list, which the batch path must follow as the single path does.
    monkeypatch.setattr(fingerprints, "POSTINGS_PER_KEY", 2)
    monkeypatch.setattr(fingerprints, "CANDIDATE_LIMIT", 3)
    test_batch_intake_answers_like_report_ingest_with_near_duplicates(platform, cast, seed)


def test_batch_candidates_follow_the_newest_postings_window(monkeypatch, platform):
    monkeypatch.setattr(fingerprints, "POSTINGS_PER_KEY", 2)
    monkeypatch.setattr(fingerprints, "CANDIDATE_LIMIT", 3)
    for n, text in enumerate([RUMOUR, RUMOUR[:40], RUMOUR + "转起来", "注意！" + RUMOUR]):
        report_ingest(platform=platform, data=report_input(external_id=f"w-{n}", content=text))
    first, second = "太可怕了！" + RUMOUR, RUMOUR.replace("赶快储水", "快点存水")
    batch = BatchMatcher([("", first), ("", second)])
    batch.add(url="", text=first, case="opened by the batch")
    from_batch = [candidate.normalised for candidate in batch._near_candidates(second)]

    report_ingest(platform=platform, data=report_input(external_id="w-first", content=first))
    stored = fingerprints.candidates(fingerprints.band_keys(normalise(second)), _candidate_reports())
    assert from_batch == [candidate.normalised for candidate in stored]
    assert len(from_batch) == 3 and normalise(first) in from_batch  # the batch's own report counts
