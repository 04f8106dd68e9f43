"""How near-duplicate scoring decides: rarity-weighted overlap, swapped names, English, the
weight table and its builder, fingerprints written after the fact."""

import gzip
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from rumorcases.cases import fingerprints
from rumorcases.cases.models import ReportFingerprint
from rumorcases.cases.normalise import normalise
from rumorcases.cases.services import report_ingest
from tests.conftest import report_input

POSTS = Path(__file__).resolve().parents[3] / "shared" / "data" / "weibo-ced" / "posts.jsonl"
TOOTHPASTE_SHORT = "牙膏底部的短线，绿色是天然的，蓝色是天然加药物，红色是药物加化学，黑色是纯化学。"
TOOTHPASTE_LONG = ("大家买牙膏请留心！买牙膏时注意牙膏管反面底部的颜色条，尽量选择绿色和蓝色。共分4种：绿色纯天然，"
                   "蓝色天然+药物，红色天然+化学成分，黑色纯化学。国内的儿童牙膏居然大多是化学的！")
APPEAL = "十万火急寻打工者{name}，男，21岁，{place}人，在东莞打工，母亲病危速回，知情者请联系"


def similarity(a: str, b: str) -> float:
    return fingerprints.similarity(normalise(a), normalise(b))


def test_units_are_cjk_characters_and_trigrams_of_other_runs():
    assert fingerprints.units("马航mh370") == {"马", "航", "mh3", "h37", "370"}
    assert fingerprints.units("ab") == {"ab"}
    assert fingerprints.units("") == set()


def test_band_keys_leave_out_the_commonest_characters_unless_nothing_else_is_left():
    assert fingerprints.key_units(normalise("我的牙膏是绿色的")) == {"牙", "膏", "绿", "色"}
    assert fingerprints.key_units("我也是") == {"我", "也", "是"}
    assert len(fingerprints.band_keys("我也是")) == fingerprints.BANDS
    # Common words changed, rare ones kept: the rare-unit half of the keys stays, the trigram half not.
    one = fingerprints.band_keys(normalise("我的牙膏是绿色的"))
    other = fingerprints.band_keys(normalise("你们牙膏绿色了"))
    half = fingerprints.FAMILY_BANDS
    assert one[half:] == other[half:]
    assert not set(one[:half]) & set(other[:half])


def test_rare_characters_weigh_more_than_common_ones():
    assert fingerprints.weight("菌") > fingerprints.weight("的") > 0
    assert fingerprints.weight("\U0002a6a5") > fingerprints.weight("菌")  # never seen: the rarest
    assert fingerprints.weight("13800138000") == fingerprints.DIGITS_WEIGHT


def test_a_reworded_rumour_sharing_its_rare_words_scores_over_the_threshold(settings):
    assert similarity(TOOTHPASTE_SHORT, TOOTHPASTE_LONG) >= settings.MATCH_NEAR_THRESHOLD


def test_a_truncated_copy_scores_one():
    assert similarity(TOOTHPASTE_LONG, TOOTHPASTE_LONG[:30]) == 1.0


def test_unrelated_posts_score_low(settings):
    metro = "网传地铁二号线明日全线停运检修，市民出行请绕行"
    assert similarity(TOOTHPASTE_LONG, metro) < settings.MATCH_NEAR_THRESHOLD / 2


def test_a_template_appeal_with_another_name_is_another_rumour():
    one = APPEAL.format(name="吴云飞", place="湖南")
    other = APPEAL.format(name="骆婕", place="湖南")
    assert fingerprints.overlap(normalise(one), normalise(other)) > 0.8  # the template alone scores high
    assert fingerprints.swapped_name(normalise(one), normalise(other))
    assert similarity(one, other) == 0.0


def test_a_changed_phone_number_or_common_word_is_not_a_swapped_name(settings):
    one = APPEAL.format(name="吴云飞", place="湖南") + "13800138000"
    assert similarity(one, one.replace("13800138000", "13912345678")) >= settings.MATCH_NEAR_THRESHOLD
    assert not fingerprints.swapped_name(normalise(one), normalise(one.replace("母亲", "父亲")))
    assert not fingerprints.swapped_name(normalise(one), normalise(one))


def test_english_posts(settings):
    rumour = "BREAKING: drinking hot water every 15 minutes kills the virus in your throat. Share with family!"
    reworded = "Doctors say: drinking hot water every 15 minutes kills the virus in your throat!! #health"
    other = "BREAKING: the city metro line 2 will close for a week from Monday, share with family!"
    assert similarity(rumour, reworded) >= settings.MATCH_NEAR_THRESHOLD
    assert similarity(rumour, other) < settings.MATCH_NEAR_THRESHOLD


@pytest.mark.skipif(not POSTS.exists(), reason="posts.jsonl is not on this machine")
def test_the_labelled_template_pairs_never_score_as_the_same_rumour(settings):
    posts = {post["id"]: post["text"] for post in map(json.loads, POSTS.open(encoding="utf-8"))}
    pairs = [json.loads(line) for line in
             (Path(__file__).parent.parent / "data" / "same_rumour_pairs.jsonl").open(encoding="utf-8")]
    templates = [pair for pair in pairs if pair["kind"] == "template" and not pair["same"]]
    assert len(templates) >= 10
    scores = {pair["note"]: similarity(posts[pair["a"]], posts[pair["b"]]) for pair in templates}
    assert max(scores.values()) < settings.MATCH_NEAR_THRESHOLD, scores


# --- the weight table -----------------------------------------------------------------------------


def _jsonl(path: Path, texts, compress=False) -> Path:
    body = "".join(json.dumps({"text": text}, ensure_ascii=False) + "\n" for text in texts)
    if compress:
        with gzip.open(path, "wt", encoding="utf-8") as out:
            out.write(body)
    else:
        path.write_text(body, encoding="utf-8")
    return path


def test_char_weights_counts_texts_per_unit(tmp_path):
    plain = _jsonl(tmp_path / "a.jsonl", ["牙膏牙膏", "牙刷 abc"])
    packed = _jsonl(tmp_path / "b.jsonl.gz", ["牙"], compress=True)
    output = tmp_path / "weights.tsv"
    out = StringIO()
    call_command("char_weights", str(plain), str(packed), "--output", str(output), stdout=out)
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#texts\t3"
    assert dict(line.split("\t") for line in lines[1:]) == {"牙": "3", "膏": "1", "刷": "1", "abc": "1"}
    assert "3 texts" in out.getvalue()


@pytest.mark.parametrize(("body", "message"), [
    ('{"text": "好"}\nnot json\n', "a.jsonl:2: not a JSON object with a text field"),
    ('{"body": "好"}\n', "a.jsonl:1: not a JSON object with a text field"),
    ('{"text": 5}\n', "a.jsonl:1: text is not a string"),
    ("\n\n", "the corpus holds no texts"),
])
def test_char_weights_refuses_a_bad_corpus_and_keeps_the_old_table(tmp_path, body, message):
    corpus = tmp_path / "a.jsonl"
    corpus.write_text(body, encoding="utf-8")
    output = tmp_path / "weights.tsv"
    output.write_text("#texts\t1\n好\t1\n", encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("char_weights", str(corpus), "--output", str(output), stdout=StringIO())
    assert output.read_text(encoding="utf-8") == "#texts\t1\n好\t1\n"


def test_char_weights_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("char_weights", str(tmp_path / "none.jsonl"), "--output", str(tmp_path / "w.tsv"))
    assert not (tmp_path / "w.tsv").exists()


def test_the_shipped_table_covers_common_chinese():
    weights, unseen = fingerprints._weight_table()
    assert len(weights) > 4000
    assert all(weights[char] < unseen for char in "的是了谣言牙膏")


# --- fingerprints for reports stored while near-duplicate matching was off -----------------------


def test_rematch_fingerprints_reports_stored_without(platform, settings):
    stored = [report_ingest(platform=platform, data=report_input(external_id=f"f-{n}", content=text)).report
              for n, text in enumerate([TOOTHPASTE_SHORT, "网传地铁二号线明日全线停运检修"])]
    assert not ReportFingerprint.objects.exists()  # off in tests/conftest.py

    with pytest.raises(CommandError, match="near-duplicate matching is off"):
        call_command("rematch", "--fingerprints", stdout=StringIO())
    settings.MATCH_NEAR_DUPLICATES = True
    out = StringIO()
    call_command("rematch", "--fingerprints", "--dry-run", stdout=out)
    assert "would fingerprint 2 reports" in out.getvalue()
    assert not ReportFingerprint.objects.exists()
    call_command("rematch", "--fingerprints", stdout=out)
    assert "fingerprinted 2 reports" in out.getvalue()
    for report in stored:
        assert ReportFingerprint.objects.filter(report=report).count() == fingerprints.BANDS
    assert fingerprints.fingerprint_backfill() == 0  # nothing left to do

    variant = "太过分了，快看看你家的牙膏！" + TOOTHPASTE_SHORT.replace("是", "")
    later = report_ingest(platform=platform, data=report_input(external_id="f-9", content=variant))
    assert (later.case, later.report.match_reason) == (stored[0].case, "near_duplicate")


# --- one fingerprinted report per text and case ----------------------------------------------------


def _fingerprinted(report) -> bool:
    return ReportFingerprint.objects.filter(report=report).exists()


def test_a_word_for_word_copy_in_the_same_case_is_not_fingerprinted_again(platform, settings):
    settings.MATCH_NEAR_DUPLICATES = True
    first = report_ingest(platform=platform, data=report_input(external_id="c-1", content=TOOTHPASTE_SHORT))
    copy = report_ingest(platform=platform,
                         data=report_input(external_id="c-2", content="转发微博 " + TOOTHPASTE_SHORT))
    by_url = report_ingest(platform=platform, data=report_input(
        external_id="c-3", content=TOOTHPASTE_SHORT + "真的吗", url=first.report.url))
    assert copy.report.match_reason == "exact_text" and by_url.report.match_reason == "exact_url"
    assert [_fingerprinted(r.report) for r in (first, copy, by_url)] == [True, False, True]


def test_moving_the_fingerprinted_report_leaves_its_text_findable_in_both_cases(platform, cast, settings):
    from rumorcases.cases.services import report_move

    settings.MATCH_NEAR_DUPLICATES = True
    first = report_ingest(platform=platform, data=report_input(external_id="m-1", content=TOOTHPASTE_SHORT))
    copy = report_ingest(platform=platform, data=report_input(external_id="m-2", content=TOOTHPASTE_SHORT))
    other = report_ingest(platform=platform,
                          data=report_input(external_id="m-3", content="网传地铁二号线明日全线停运检修"))
    assert not _fingerprinted(copy.report)
    report_move(report=first.report, target_case=other.case, by=cast.intake, reason="另案处理")
    assert _fingerprinted(first.report) and _fingerprinted(copy.report)
    variant = "太过分了，快看看你家的牙膏！" + TOOTHPASTE_SHORT.replace("是", "")
    from rumorcases.cases.matching import match_report

    found = match_report(url="", text=variant)
    assert found.reason == "near_duplicate" and found.case in (first.case, other.case)


def test_the_backfill_fingerprints_one_report_per_text_and_case(platform, settings):
    texts = [TOOTHPASTE_SHORT, TOOTHPASTE_SHORT + "！！", "网传地铁二号线明日全线停运检修"]
    stored = [report_ingest(platform=platform, data=report_input(external_id=f"g-{n}", content=text)).report
              for n, text in enumerate(texts)]
    assert stored[1].match_reason == "exact_text"
    settings.MATCH_NEAR_DUPLICATES = True
    assert fingerprints.fingerprint_backfill() == 2
    assert [_fingerprinted(report) for report in stored] == [True, False, True]


def test_the_backfill_dry_run_counts_what_the_backfill_writes(platform, settings):
    texts = [TOOTHPASTE_SHORT, TOOTHPASTE_SHORT + "！！", "网传地铁二号线明日全线停运检修"]
    for n, text in enumerate(texts):
        report_ingest(platform=platform, data=report_input(external_id=f"d-{n}", content=text))
    settings.MATCH_NEAR_DUPLICATES = True
    out = StringIO()
    call_command("rematch", "--fingerprints", "--dry-run", stdout=out)
    assert "would fingerprint 2 reports" in out.getvalue()  # one per text and case, not 3
    assert not ReportFingerprint.objects.exists()
    assert fingerprints.fingerprint_backfill(batch=1, dry_run=True) == 2  # a group across chunks counts once
    assert fingerprints.fingerprint_backfill(batch=1) == 2
