"""Matching one new report against a million stored ones, beside pg_trgm. See bench/README.md.

    .venv/bin/python bench/matching_scale.py                     # 1,000,000 stored reports
    .venv/bin/python bench/matching_scale.py --reports 20000 --database rumorcases_bench_matching_20k
    .venv/bin/python bench/matching_scale.py --rebuild           # synthesise the store again

The requirement: with 1,000,000 stored reports, `match_report` answers one new report in p95 ≤ 20 ms
on the 2-core machine, and the matcher holds nothing proportional to the store in process memory
(its index, the MinHash band keys, lives in the database).

The store: a dedicated PostgreSQL database (`rumorcases_bench_matching`), migrated, one case per
real Weibo post (../shared/data/weibo-ced/posts.jsonl; every tenth post is held out), and N
reports written with COPY: the post as published first, then reposts and rewordings of it (a
repost chain, a comment, hashtags, emoji codes, truncation, punctuation, a few characters
changed, a short link) and reposts carrying a real repost comment (reposts.jsonl.gz), all in the
post's case. `normalised`, `content_hash` and the fingerprint rows are computed with the
project's own functions, in `--workers` processes. The store is kept between runs while its size,
seed, migrations and the matcher's normalisation and band keys are unchanged (so give a quick try
at another size its own --database, or it replaces the million-report store).

The queries: ~500 reports that are not stored: new rewordings of stored posts (the right case is
known) and held-out posts (no case of their own). Each is answered by `match_report(url="",
text=...)` and by pg_trgm's GIN-indexed similarity query on the normalised text, alternately,
timed with `time.perf_counter`. Printed: p50/p95/p99/max of both, how often each found a case
(and the right one), table and index sizes, and the peak RSS of this process before and after
the timed loop. Results go to bench/results/matching_scale-<UTC time>.json.
"""

import argparse
import contextlib
import gzip
import hashlib
import io
import json
import math
import multiprocessing
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import psycopg2
from common import DATA, PG, ROOT, admin_execute, database_url, load_posts, machine, write_result
from common import drop_database as drop_database_only

REPOSTS = DATA / "reposts.jsonl.gz"

TARGET_P95_MS = 20
HELD_OUT_EVERY = 10  # post ids ending in 9 have no stored reports: the non-matching queries
CHUNK = 10_000  # reports per COPY (and per random seed: the data does not depend on --workers)
UNSEEN_SHARE = 0.2  # of the queries: held-out posts; the rest are new rewordings of stored posts
TRGM_INDEX = "bench_report_normalised_trgm"
STATE_TABLE = "bench_matching_state"
TRGM_SQL = ("SELECT id, case_id, similarity(normalised, %s) AS s FROM cases_report "
            "WHERE normalised %% %s ORDER BY s DESC LIMIT 1")
TRGM_PROBE = "牙膏底部的颜色条"


# --- rewording a post ----------------------------------------------------------------------------

EMOJI_CODES = ["[泪]", "[怒]", "[哈哈]", "[蜡烛]", "[可怜]", "[吃惊]", "[围观]", "[转发]", "[doge]", "[话筒]", "[抓狂]"]
COMMENTS = ["真的假的？", "转发扩散！", "求辟谣", "太可怕了", "大家注意了！！", "已转，提醒家人", "这是真的吗",
            "谣言吧", "不信谣不传谣", "看完心里好难受", "马克一下", "转给身边的朋友", "有人知道后续吗", "细思极恐"]
HASHTAGS = ["#辟谣#", "#扩散#", "#身边事#", "#紧急求助#", "#健康#", "#社会#", "#提醒#", "#转发#"]
# Common characters a copy typed again or run through a phone's input method gets wrong.
TYPO_CHARACTERS = "的了是在不有这个人们来他就到说会要也和地得着过还那些"
FULLWIDTH = str.maketrans({",": "，", "!": "！", "?": "？", ":": "：", ";": "；", "(": "（", ")": "）"})
HALFWIDTH = str.maketrans({"，": ",", "！": "!", "？": "?", "：": ":", "；": ";", "（": "(", "）": ")", "。": "."})
SENTENCE_ENDS = "。！？!?"


def _is_hanzi(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def _account(rng: random.Random) -> str:
    return f"网友{rng.randrange(10_000, 99_999)}"


def _short_link(rng: random.Random) -> str:
    return "http://t.cn/" + "".join(rng.choices("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", k=7))


def change_characters(text: str, rng: random.Random) -> str:
    """One to three characters replaced by a common one, or swapped with the next."""
    chars = list(text)
    positions = [i for i, char in enumerate(chars[:-1]) if _is_hanzi(char)]
    for position in rng.sample(positions, min(len(positions), rng.randint(1, 3))):
        if rng.random() < 0.5:
            chars[position], chars[position + 1] = chars[position + 1], chars[position]
        else:
            chars[position] = rng.choice(TYPO_CHARACTERS)
    return "".join(chars)


def truncate(text: str, rng: random.Random) -> str:
    kept = text[: max(8, int(len(text) * rng.uniform(0.55, 0.9)))]
    return kept + rng.choice(["…", "...", f"……全文：{_short_link(rng)}"])


def repunctuate(text: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.4:
        return text.translate(HALFWIDTH)
    if roll < 0.8:
        return text.translate(FULLWIDTH)
    return text.replace("，", " ").replace("。", "  ")


def add_emoji_codes(text: str, rng: random.Random) -> str:
    ends = [i + 1 for i, char in enumerate(text) if char in SENTENCE_ENDS] or [len(text)]
    for _ in range(rng.randint(1, 3)):
        at = rng.choice(ends)
        text = text[:at] + rng.choice(EMOJI_CODES) + text[at:]
    return text


def add_hashtag(text: str, rng: random.Random) -> str:
    tag = rng.choice(HASHTAGS)
    return f"{tag}{text}" if rng.random() < 0.5 else f"{text} {tag}"


def comment_after(text: str, rng: random.Random) -> str:
    return f"{text} {rng.choice(COMMENTS)}"


def comment_before(text: str, rng: random.Random) -> str:
    return f"{rng.choice(COMMENTS)}：{text}"


def mention(text: str, rng: random.Random) -> str:
    return f"@{_account(rng)} {text}" if rng.random() < 0.5 else f"{text} @{_account(rng)}"


def short_link(text: str, rng: random.Random) -> str:
    return f"{text} {_short_link(rng)}"


def repost_chain(text: str, rng: random.Random) -> str:
    """A repost without a comment of its own: `normalise` keeps the text after the chain."""
    return f"//@{_account(rng)}:{text}" if rng.random() < 0.7 else f"转发微博//@{_account(rng)}: {text}"


# (operation, probability), applied in this order: the text is changed before it is decorated.
REWORDINGS = [
    (change_characters, 0.3), (truncate, 0.2), (repunctuate, 0.4), (add_emoji_codes, 0.3), (add_hashtag, 0.25),
    (comment_after, 0.2), (comment_before, 0.1), (mention, 0.2), (short_link, 0.3), (repost_chain, 0.3),
]
CHANGES_WORDS = {change_characters, truncate, comment_after, comment_before}


def reword(text: str, rng: random.Random, *, change_words: bool = False) -> str:
    """A copy of `text` as someone else might post it. `change_words`: at least one change that
    survives `normalise` (otherwise the copy may normalise to the very same text)."""
    chosen = {operation for operation, probability in REWORDINGS if rng.random() < probability}
    if change_words and not chosen & CHANGES_WORDS:
        chosen.add(rng.choice(sorted(CHANGES_WORDS, key=lambda operation: operation.__name__)))
    for operation, _ in REWORDINGS:
        if operation in chosen:
            text = operation(text, rng)
    return text


# --- the data --------------------------------------------------------------------------------------


def load_repost_comments() -> dict[int, list[str]]:
    comments: dict[int, list[str]] = {}
    with gzip.open(REPOSTS, "rt", encoding="utf-8") as lines:
        for line in lines:
            repost = json.loads(line)
            if repost["text"].strip():
                comments.setdefault(repost["post_id"], []).append(repost["text"])
    return comments


def split_posts(posts: list[dict]) -> tuple[list[dict], list[dict]]:
    """(stored, held out): held-out posts get no reports and no case."""
    stored = [post for post in posts if post["id"] % HELD_OUT_EVERY != HELD_OUT_EVERY - 1]
    held_out = [post for post in posts if post["id"] % HELD_OUT_EVERY == HELD_OUT_EVERY - 1]
    return stored, held_out


def cumulative_weights(posts: list[dict]) -> list[float]:
    """Widely reposted rumours are reported more often: weight 1 + sqrt(reposts) (the data caps
    reposts at 999, so the busiest post gets some 30 times the reports of the quietest)."""
    total, cumulative = 0.0, []
    for post in posts:
        total += 1 + math.sqrt(post["reposts"])
        cumulative.append(total)
    return cumulative


# --- the database ----------------------------------------------------------------------------------


def trigrams_of_probe(name: str) -> int:
    """How many trigrams pg_trgm makes of a Chinese phrase in this database (0: none, and the
    baseline would find nothing: the database's LC_CTYPE does not class CJK as letters)."""
    connection = psycopg2.connect(dbname=name, **PG)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cursor.execute("SELECT cardinality(show_trgm(%s))", [TRGM_PROBE])
        count = cursor.fetchone()[0]
    connection.close()
    return count


def lc_ctype(name: str) -> str:
    connection = psycopg2.connect(dbname=name, **PG)
    with connection.cursor() as cursor:
        cursor.execute("SELECT datctype FROM pg_database WHERE datname = current_database()")
        value = cursor.fetchone()[0]
    connection.close()
    return value


def drop_database(name: str) -> None:
    from django.db import connections

    connections.close_all()
    drop_database_only(name)


def recreate_database(name: str) -> None:
    """Drop and create the bench database, with pg_trgm; if the cluster's locale gives no trigrams
    for Chinese, again from template0 with an LC_CTYPE that does."""
    drop_database(name)
    admin_execute(f'CREATE DATABASE "{name}"')
    if trigrams_of_probe(name):
        return
    print(f"  pg_trgm makes no trigrams of Chinese under LC_CTYPE {lc_ctype(name)}", flush=True)
    for locale in ("zh_CN.UTF-8", "en_US.UTF-8"):
        drop_database(name)
        try:
            admin_execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LC_CTYPE '{locale}'")
        except psycopg2.Error:
            continue
        if trigrams_of_probe(name):
            print(f"  created {name} from template0 with LC_CTYPE {locale}: pg_trgm makes trigrams of Chinese there",
                  flush=True)
            return
    raise SystemExit("no locale found under which pg_trgm makes trigrams of Chinese text")


def database_exists(name: str) -> bool:
    admin = psycopg2.connect(dbname="postgres", **PG)
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        found = cursor.fetchone() is not None
    admin.close()
    return found


def setup_django(name: str) -> None:
    os.environ.update({
        "DATABASE_URL": database_url(name),
        "DJANGO_SETTINGS_MODULE": "rumorcases.settings",
        "MATCH_NEAR_DUPLICATES": "true",
        # DEBUG off: no query log growing in this process while it is measured.
        "DEBUG": "False",
        "SECRET_KEY": "bench-only-" + "x" * 40,
        "LOG_LEVEL": "WARNING",
    })
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- what the store was built with -------------------------------------------------------------------


def wanted_state(args, posts: list[dict]) -> dict:
    """What must not have changed for a stored store to be reused: its size and seed, the
    migrations in the tree, and what `normalise` and `band_keys` make of a sample of posts."""
    from django.db.migrations.loader import MigrationLoader

    from rumorcases.cases.fingerprints import band_keys
    from rumorcases.cases.normalise import normalise

    sample = [normalise(post["text"]) for post in posts[:40]]
    matcher = hashlib.sha256(repr([(norm, band_keys(norm)) for norm in sample]).encode()).hexdigest()
    leaves = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes()
    return {"reports": str(args.reports), "seed": str(args.seed), "matcher": matcher,
            "migrations": ",".join(sorted(f"{app}.{migration}" for app, migration in leaves))}


def read_state() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [STATE_TABLE])
        if cursor.fetchone()[0] is None:
            return {}
        cursor.execute(f"SELECT name, value FROM {STATE_TABLE}")  # noqa: S608 - a constant
        return dict(cursor.fetchall())


def write_state(state: dict) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (name text PRIMARY KEY, value text NOT NULL)")
        cursor.execute(f"DELETE FROM {STATE_TABLE}")  # noqa: S608 - a constant
        cursor.executemany(f"INSERT INTO {STATE_TABLE} (name, value) VALUES (%s, %s)",  # noqa: S608
                           [(name, str(value)) for name, value in state.items()])


def state_differences(stored: dict, wanted: dict) -> list[str]:
    return [name for name, value in wanted.items() if stored.get(name) != value]


# --- synthesis ----------------------------------------------------------------------------------------

REPORT_COLUMNS = ("id", "platform_id", "external_id", "case_id", "title", "content", "content_hash", "normalised",
                  "url", "posted_at", "content_type", "language", "category", "reason", "source", "evidence_urls",
                  "views", "reposts", "comments", "likes", "match_reason", "received_at", "updated_at")


def _copy_text(value) -> str:
    """A value in COPY's text format."""
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def check_report_columns(cursor) -> None:
    """Every NOT NULL column without a default is written: fail early if the model grew one."""
    cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'cases_report' "
                   "AND is_nullable = 'NO' AND column_default IS NULL")
    missing = {row[0] for row in cursor.fetchall()} - set(REPORT_COLUMNS)
    if missing:
        raise SystemExit(f"cases_report has NOT NULL columns this script does not fill: {sorted(missing)}")


def fingerprint_layout() -> tuple[str, ...]:
    """The COPY columns of cases_reportfingerprint for what `band_keys` returns: (band, key)
    pairs in the tree before band keys were folded, plain keys after."""
    from rumorcases.cases.fingerprints import band_keys

    keys = band_keys("牙膏底部的颜色条其实是给机器看的")
    return ("report_id", "band", "key") if isinstance(keys[0], tuple) else ("key", "report_id")


def create_cases(stored: list[dict]) -> tuple[int, dict[int, int]]:
    """The platform and one open case per stored post: (platform id, {post id: case id})."""
    from rumorcases.cases.models import Case
    from rumorcases.platforms.models import Platform

    weibo, _ = Platform.objects.get_or_create(slug="weibo", defaults={"name": "新浪微博", "name_en": "Weibo",
                                                                     "is_key": True})
    cases = Case.objects.bulk_create(
        [Case(reference=f"BENCH-{post['id']:05d}", title=post["text"][:60] or f"post {post['id']}",
              claim=post["text"] or "-") for post in stored],
        batch_size=1000,
    )
    return weibo.pk, {post["id"]: case.pk for post, case in zip(stored, cases, strict=True)}


def detach_indexes(cursor, table: str, keep_primary_key: bool) -> list[str]:
    """Drop a table's constraints and indexes before a bulk load (building them afterwards is
    many times faster than keeping them up to date row by row); returns the statements that
    put them back, primary key first, foreign keys last."""
    cursor.execute("SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                   "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f', 'x') ORDER BY contype DESC", [table])
    constraints = [row for row in cursor.fetchall() if not (keep_primary_key and row[1] == "p")]
    cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                   "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)", [table, table])
    indexes = cursor.fetchall()
    for name, _, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    order = {"p": 0, "u": 1, "x": 1, "f": 3}
    restore = [(order[kind], f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
               for name, kind, definition in constraints]
    restore += [(2, definition) for _, definition in indexes]
    return [statement for _, statement in sorted(restore, key=lambda item: item[0])]


_WORKER: dict = {}


def _worker_start(plan: dict) -> None:
    _WORKER.update(plan, comments=load_repost_comments())
    connection = psycopg2.connect(dbname=plan["database"], **PG)
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    _WORKER["connection"] = connection


def report_text(post: dict, rng: random.Random) -> str:
    """A report of `post`: one in five a repost with a real comment of its own (which is all
    that `normalise` keeps of it), the others a reposted or reworded copy of the post."""
    comments = _WORKER["comments"].get(post["id"])
    if comments and rng.random() < 0.2:
        return f"{rng.choice(comments)}//@{_account(rng)}:{post['text']}"
    return reword(post["text"], rng)


def _synthesise_chunk(start: int) -> tuple[int, int]:
    """Reports start … start + CHUNK - 1 and their fingerprints, in one COPY each; returns
    (reports, fingerprint rows)."""
    from rumorcases.cases.fingerprints import band_keys
    from rumorcases.cases.normalise import normalise

    plan = _WORKER
    stored, cases, stop = plan["stored"], plan["cases"], min(start + CHUNK, plan["reports"])
    rng = random.Random(f"{plan['seed']}:{start}")  # noqa: S311 - test data, not secrets
    keys_of: dict[str, list] = {}  # reposts often normalise alike: their band keys once per chunk
    report_lines, fingerprint_lines = [], []
    for index in range(start, stop):
        report_id = index + 1
        if index < len(stored):  # the first report of every case: the post as published
            post, text, account = stored[index], stored[index]["text"], stored[index]["author"]["id"]
        else:
            post = rng.choices(stored, cum_weights=plan["weights"])[0]
            text, account = report_text(post, rng), f"u{rng.getrandbits(48):012x}"
        norm = normalise(text)
        keys = keys_of.get(norm)
        if keys is None:
            keys = keys_of[norm] = band_keys(norm)
        posted_at = datetime.fromisoformat(post["posted_at"]) + timedelta(minutes=rng.randrange(7 * 24 * 60))
        values = (report_id, plan["platform_id"], f"bench-{report_id}", cases[post["id"]], "", text,
                  hashlib.sha256(norm.encode("utf-8")).hexdigest(), norm,
                  f"https://weibo.com/{account}/B{report_id}", posted_at.isoformat(),
                  "image" if post.get("pics") else "text", "zh-CN", "rumour", "", "user_report", "[]",
                  0, post["reposts"], post["comments"], post["likes"], "", plan["now"], plan["now"])
        report_lines.append("\t".join(_copy_text(value) for value in values))
        if plan["layout"][0] == "key":
            fingerprint_lines.extend(f"{key}\t{report_id}" for key in keys)
        else:
            fingerprint_lines.extend(f"{report_id}\t{band}\t{key}" for band, key in keys)
    connection = plan["connection"]
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY cases_report ({', '.join(REPORT_COLUMNS)}) FROM STDIN",
                           io.StringIO("\n".join(report_lines) + "\n"))
        if fingerprint_lines:
            cursor.copy_expert(f"COPY cases_reportfingerprint ({', '.join(plan['layout'])}) FROM STDIN",
                               io.StringIO("\n".join(fingerprint_lines) + "\n"))
    connection.commit()
    return stop - start, len(fingerprint_lines)


def copy_reports(plan: dict, workers: int) -> int:
    """COPY every report and its fingerprints from `workers` processes; returns the fingerprint rows."""
    from django.db import connections

    connections.close_all()  # no connection of this process is inherited by the workers
    started, done, fingerprint_rows, shown = time.monotonic(), 0, 0, 0
    with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_start, initargs=(plan,)) as pool:
        for reports, rows in pool.imap_unordered(_synthesise_chunk, range(0, plan["reports"], CHUNK)):
            done, fingerprint_rows = done + reports, fingerprint_rows + rows
            if done - shown >= plan["reports"] / 20 or done == plan["reports"]:
                shown = done
                elapsed = time.monotonic() - started
                print(f"    {done:>10,} / {plan['reports']:,} reports, {fingerprint_rows:,} fingerprint rows, "
                      f"{elapsed:.0f} s ({done / elapsed:,.0f} reports/s)", flush=True)
    return fingerprint_rows


def synthesise(args, stored: list[dict]) -> dict:
    """Fill the freshly migrated database; returns what to remember about it."""
    from django.db import connection

    phases = {}
    began = time.monotonic()
    platform_id, cases = create_cases(stored)
    with connection.cursor() as cursor:
        check_report_columns(cursor)
        restore = (detach_indexes(cursor, "cases_report", keep_primary_key=True)
                   + detach_indexes(cursor, "cases_reportfingerprint", keep_primary_key=False))
    phases["cases"] = time.monotonic() - began

    step = time.monotonic()
    layout = fingerprint_layout()
    print(f"  writing {args.reports:,} reports with COPY from {args.workers} processes "
          f"(fingerprint columns {', '.join(layout)}) ...", flush=True)
    plan = {"database": args.database, "stored": stored, "cases": cases, "platform_id": platform_id,
            "weights": cumulative_weights(stored), "seed": args.seed, "reports": args.reports, "layout": layout,
            "now": datetime.now(UTC).isoformat()}
    fingerprint_rows = copy_reports(plan, args.workers)
    phases["copy"] = time.monotonic() - step

    step = time.monotonic()
    print(f"  building {len(restore)} indexes and constraints ...", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for statement in restore:
            cursor.execute(statement)
        cursor.execute("SELECT setval(pg_get_serial_sequence('cases_report', 'id'), %s)", [args.reports])
    phases["indexes"] = time.monotonic() - step

    step = time.monotonic()
    print("  VACUUM ANALYZE (hint bits and the visibility map, as a settled table has them) ...", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_report")
        cursor.execute("VACUUM ANALYZE cases_reportfingerprint")
        cursor.execute("VACUUM ANALYZE cases_case")
    phases["vacuum_analyze"] = time.monotonic() - step
    phases["total"] = time.monotonic() - began
    return {"cases": len(cases), "fingerprint_rows": fingerprint_rows,
            "synthesis_seconds": json.dumps({name: round(seconds, 1) for name, seconds in phases.items()})}


def create_trgm_index() -> float:
    """The baseline's GIN trigram index on the normalised text (bench database only); seconds taken."""
    from django.db import connection

    began = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {TRGM_INDEX} ON cases_report USING gin (normalised gin_trgm_ops)")
        cursor.execute("ANALYZE cases_report")
    return time.monotonic() - began


# --- the queries --------------------------------------------------------------------------------------


def stored_hashes(hashes: list[str]) -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT content_hash FROM cases_report WHERE content_hash = ANY(%s)", [hashes])
        return {row[0] for row in cursor.fetchall()}


def build_queries(stored: list[dict], held_out: list[dict], cases: dict[int, int], count: int,
                  rng: random.Random) -> list[dict]:
    """New reports: rewordings of stored posts whose normalised text is not stored (the case
    they belong to is known), and held-out posts as published (no case of their own)."""
    from rumorcases.cases.matching import content_hash
    from rumorcases.cases.normalise import normalise

    unseen = [post for post in held_out if len(normalise(post["text"])) >= 10]
    queries = [{"kind": "unseen", "text": post["text"], "expected_case": None}
               for post in rng.sample(unseen, min(len(unseen), round(count * UNSEEN_SHARE)))]
    weights = cumulative_weights(stored)
    rewordings = []
    while len(rewordings) < count - len(queries):
        batch = []
        for _ in range(count - len(queries) - len(rewordings)):
            post = rng.choices(stored, cum_weights=weights)[0]
            text = reword(post["text"], rng, change_words=True)
            if len(normalise(text)) >= 10:
                batch.append({"kind": "reworded", "text": text, "expected_case": cases[post["id"]]})
        taken = stored_hashes([content_hash(query["text"]) for query in batch])
        rewordings += [query for query in batch if content_hash(query["text"]) not in taken]
    queries += rewordings
    rng.shuffle(queries)
    return queries


def case_ids_by_post(stored: list[dict]) -> dict[int, int]:
    from rumorcases.cases.models import Case

    by_reference = dict(Case.objects.filter(reference__startswith="BENCH-").values_list("reference", "pk"))
    return {post["id"]: by_reference[f"BENCH-{post['id']:05d}"] for post in stored}


# --- timing ---------------------------------------------------------------------------------------------


def run_matcher(text: str) -> tuple[float, int | None, str, float]:
    """(ms, case id or None, reason, score) of `match_report`."""
    from rumorcases.cases.matching import match_report

    began = time.perf_counter()
    match = match_report(url="", text=text)
    elapsed = time.perf_counter() - began
    return elapsed * 1000, getattr(match.case, "pk", match.case), match.reason, match.score


def run_trgm(cursor, text: str) -> tuple[float, int | None, float]:
    """(ms, case id or None, similarity) of the pg_trgm query, normalising included."""
    from rumorcases.cases.normalise import normalise

    began = time.perf_counter()
    norm = normalise(text)
    cursor.execute(TRGM_SQL, [norm, norm])
    row = cursor.fetchone()
    elapsed = time.perf_counter() - began
    return elapsed * 1000, row[1] if row else None, row[2] if row else 0.0


def time_both(queries: list[dict], cursor) -> list[dict]:
    """Each query through both, the order alternating, so that noise on the machine hits both."""
    timed = []
    for number, query in enumerate(queries):
        outcome = dict(query)
        for method in (("matcher", "trgm") if number % 2 == 0 else ("trgm", "matcher")):
            if method == "matcher":
                outcome["matcher_ms"], outcome["matcher_case"], outcome["matcher_reason"], outcome["matcher_score"] = (
                    run_matcher(query["text"]))
            else:
                outcome["trgm_ms"], outcome["trgm_case"], outcome["trgm_score"] = run_trgm(cursor, query["text"])
        timed.append(outcome)
    return timed


def latency(values: list[float]) -> dict:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(statistics.median(values), 2), "p95": round(cuts[94], 2), "p99": round(cuts[98], 2),
            "max": round(max(values), 2), "mean": round(statistics.fmean(values), 2)}


def outcomes(timed: list[dict], method: str) -> dict:
    reworded = [row for row in timed if row["kind"] == "reworded"]
    unseen = [row for row in timed if row["kind"] == "unseen"]
    found = [row for row in timed if row[f"{method}_case"] is not None]
    return {
        "found": len(found), "of": len(timed),
        "reworded_found": sum(1 for row in reworded if row[f"{method}_case"] is not None),
        "reworded_right_case": sum(1 for row in reworded if row[f"{method}_case"] == row["expected_case"]),
        "reworded": len(reworded),
        "unseen_found": sum(1 for row in unseen if row[f"{method}_case"] is not None), "unseen": len(unseen),
        "latency_ms": latency([row[f"{method}_ms"] for row in timed]),
        "latency_ms_reworded": latency([row[f"{method}_ms"] for row in reworded]) if len(reworded) > 1 else None,
        "latency_ms_unseen": latency([row[f"{method}_ms"] for row in unseen]) if len(unseen) > 1 else None,
    }


class StatementTimer:
    """A Django execute wrapper keeping each SQL statement, its parameters and its time."""

    def __init__(self):
        self.statements: list[dict] = []

    def __call__(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append({"sql": sql, "params": params, "ms": (time.perf_counter() - began) * 1000})


def statement_kind(sql: str) -> str:
    if "cases_reportfingerprint" in sql:
        return "band_key_candidates"
    if '"content_hash" =' in sql:
        return "exact_text"
    if '"url" =' in sql:
        return "exact_url"
    return "candidate_texts"


def matcher_statements(text: str) -> tuple[float, list[dict]]:
    """`match_report` once more, every SQL statement timed: (total ms, statements)."""
    from django.db import connection

    from rumorcases.cases.matching import match_report

    timer = StatementTimer()
    with connection.execute_wrapper(timer):
        began = time.perf_counter()
        match_report(url="", text=text)
        total = (time.perf_counter() - began) * 1000
    return total, timer.statements


def matcher_breakdown(timed: list[dict]) -> dict:
    """Where `match_report`'s time goes, from a second, untimed pass over the same queries: the
    SQL statements by kind, and the rest (Python: normalising, band keys, scoring candidates)."""
    by_kind: dict[str, list[float]] = {}
    sql_totals, python, statements_per_query = [], [], []
    for row in timed:
        total, statements = matcher_statements(row["text"])
        sql = sum(statement["ms"] for statement in statements)
        sql_totals.append(sql)
        python.append(total - sql)
        statements_per_query.append(len(statements))
        for statement in statements:
            by_kind.setdefault(statement_kind(statement["sql"]), []).append(statement["ms"])
    return {"sql_ms": latency(sql_totals), "python_ms": latency(python),
            "statements_per_query": dict(Counter(statements_per_query)),
            "by_statement_ms": {kind: {**latency(values), "count": len(values)} if len(values) > 1 else values
                                for kind, values in sorted(by_kind.items())}}


def explain_slowest(timed: list[dict], cursor, how_many: int = 3) -> list[dict]:
    """EXPLAIN ANALYZE of the slowest SQL statement `match_report` sends, for the slowest queries."""
    plans = []
    for row in sorted(timed, key=lambda row: row["matcher_ms"], reverse=True)[:how_many]:
        _, statements = matcher_statements(row["text"])
        slowest = max(statements, key=lambda statement: statement["ms"])
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"], slowest["params"])
        plans.append({"matcher_ms": round(row["matcher_ms"], 2), "kind": row["kind"],
                      "statements": len(statements), "statement": statement_kind(slowest["sql"]),
                      "sql": cursor.mogrify(slowest["sql"], slowest["params"]).decode(),
                      "plan": [line for (line,) in cursor.fetchall()]})
    return plans


def explain_trgm(timed: list[dict], cursor) -> dict:
    from rumorcases.cases.normalise import normalise

    row = max(timed, key=lambda row: row["trgm_ms"])
    norm = normalise(row["text"])
    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + TRGM_SQL, [norm, norm])
    return {"trgm_ms": round(row["trgm_ms"], 2), "plan": [line for (line,) in cursor.fetchall()]}


# --- the run ---------------------------------------------------------------------------------------------


def rss_mb() -> dict:
    """Peak RSS of this process so far (getrusage) and its RSS now (/proc), in MB."""
    current = 0.0
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        current = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024
    return {"peak": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), "now": round(current, 1)}


def sizes() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('cases_report'), "
                       "pg_total_relation_size('cases_reportfingerprint'), pg_relation_size(%s), "
                       "pg_database_size(current_database())", [TRGM_INDEX])
        report, fingerprint, trgm, database = cursor.fetchone()
        cursor.execute("SELECT c.relname, pg_relation_size(c.oid) FROM pg_index i "
                       "JOIN pg_class c ON c.oid = i.indexrelid "
                       "WHERE i.indrelid = 'cases_reportfingerprint'::regclass ORDER BY c.relname")
        fingerprint_indexes = dict(cursor.fetchall())
    return {"cases_report_total": report, "cases_reportfingerprint_total": fingerprint, "trgm_gin_index": trgm,
            "database": database, "fingerprint_indexes": fingerprint_indexes}


def tree() -> dict:
    """Which matcher was measured: the commit, and whether rumorcases/ differs from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,  # noqa: S603, S607
                              check=False).stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"), "subject": git("log", "-1", "--format=%s"),
            "rumorcases_changed": bool(git("status", "--porcelain", "--", "rumorcases"))}


def prepare_store(args, posts: list[dict], stored: list[dict]) -> tuple[dict, bool]:
    """The store at the requested size, reused when it matches: (its state, whether built now)."""
    from django.core.management import call_command

    wanted = wanted_state(args, posts)
    state = read_state() if database_exists(args.database) and not args.rebuild else {}
    differences = state_differences(state, wanted)
    if not differences:
        print(f"  reusing the store in {args.database}: {int(state['reports']):,} reports "
              f"(--rebuild to build it again)", flush=True)
        return state, False
    reason = "--rebuild" if args.rebuild else ("none yet" if not state else f"changed: {', '.join(differences)}")
    print(f"  building the store in {args.database} ({reason}) ...", flush=True)
    recreate_database(args.database)
    call_command("migrate", interactive=False, verbosity=0)
    state = {**wanted, **synthesise(args, stored)}
    print("  pg_trgm GIN index on cases_report.normalised ...", flush=True)
    state["trgm_index_seconds"] = round(create_trgm_index(), 1)
    write_state(state)
    return state, True


def _p95(figures: dict | None) -> str:
    return "-" if figures is None else str(figures["p95"])


def show(result: dict) -> None:
    matcher, trgm = result["matcher"], result["pg_trgm"]
    size = result["sizes"]
    mb = 1024 * 1024
    print()
    print(f"  stored reports: {result['reports']:,} in {result['cases']:,} cases, "
          f"{result['fingerprint_rows']:,} fingerprint rows; {result['queries']} queries "
          f"({matcher['reworded']} reworded, {matcher['unseen']} unseen), {result['warmup']} warm-up")
    print(f"  synthesis (s): {result['synthesis_seconds']}, pg_trgm GIN index {result['trgm_index_seconds']} s")
    print(f"  {'latency, ms':<34}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}")
    for label, figures in ((f"match_report (near dup. on, {result['match_near_threshold']})", matcher),
                           (f"pg_trgm GIN, threshold {result['trgm_threshold']}", trgm)):
        ms = figures["latency_ms"]
        print(f"  {label:<34}{ms['p50']:>8}{ms['p95']:>8}{ms['p99']:>8}{ms['max']:>8}")
    for label, figures in (("match_report", matcher), ("pg_trgm", trgm)):
        print(f"  {label:<13} found a case for {figures['found']}/{figures['of']}; reworded: right case "
              f"{figures['reworded_right_case']}/{figures['reworded']}, found any {figures['reworded_found']}; "
              f"unseen posts: found {figures['unseen_found']}/{figures['unseen']}; "
              f"p95 reworded {_p95(figures['latency_ms_reworded'])}, unseen {_p95(figures['latency_ms_unseen'])}")
    print(f"  match_report reasons: {result['matcher_reasons']}")
    breakdown = result["matcher_breakdown"]
    print(f"  match_report again, statements timed (ms, p50/p95): SQL {breakdown['sql_ms']['p50']}/"
          f"{breakdown['sql_ms']['p95']}, Python {breakdown['python_ms']['p50']}/{breakdown['python_ms']['p95']}; "
          + ", ".join(f"{kind} {figures['p50']}/{figures['p95']}" for kind, figures in
                      breakdown["by_statement_ms"].items() if isinstance(figures, dict)))
    met = "met" if result["target_met"] else "NOT met"
    print(f"  target: match_report p95 ≤ {TARGET_P95_MS} ms: {met} ({matcher['latency_ms']['p95']} ms)")
    print(f"  sizes: cases_report {size['cases_report_total'] / mb:,.0f} MB (the GIN index in it "
          f"{size['trgm_gin_index'] / mb:,.0f} MB), cases_reportfingerprint "
          f"{size['cases_reportfingerprint_total'] / mb:,.0f} MB, database {size['database'] / mb:,.0f} MB")
    rss = result["rss_mb"]
    print(f"  this process's RSS, MB: peak {rss['before']['peak']} before the timed loop, {rss['after']['peak']} after "
          f"(now {rss['before']['now']} → {rss['after']['now']})"
          + ("; the peak includes migrating and building the store in this run" if result["store_built_this_run"]
             else ""))
    print(f"  load average before/after: {result['machine']['load_before'][0]:.2f} / {result['load_after'][0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000, help="stored reports (default %(default)s)")
    parser.add_argument("--queries", type=int, default=500, help="timed new reports (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed new reports first (default %(default)s)")
    parser.add_argument("--database", default="rumorcases_bench_matching",
                        help="kept between runs; one per --reports size (default %(default)s)")
    parser.add_argument("--rebuild", action="store_true", help="synthesise the store again even if it matches")
    parser.add_argument("--workers", type=int, default=2, help="processes computing and copying reports")
    parser.add_argument("--seed", type=int, default=20121116)
    parser.add_argument("--trgm-threshold", type=float, default=0.3, help="pg_trgm.similarity_threshold")
    parser.add_argument("--explain", action="store_true", help="print the slowest plan even when the target is met")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    args = parser.parse_args()
    posts = load_posts()
    stored, held_out = split_posts(posts)
    if args.reports < 2 * len(stored):
        parser.error(f"--reports at least {2 * len(stored):,} (two per stored post)")

    setup_django(args.database)
    from django.conf import settings
    from django.db import connection

    state, built = prepare_store(args, posts, stored)
    trigrams = trigrams_of_probe(args.database)
    print(f"  pg_trgm: {trigrams} trigrams of {TRGM_PROBE!r} under LC_CTYPE {lc_ctype(args.database)}", flush=True)

    rng = random.Random(f"{args.seed}:queries")  # noqa: S311 - test data, not secrets
    cases = case_ids_by_post(stored)
    queries = build_queries(stored, held_out, cases, args.warmup + args.queries, rng)
    warmup, queries = queries[: args.warmup], queries[args.warmup :]
    result = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "tree": tree(),
              "database": args.database, "lc_ctype": lc_ctype(args.database), "trgm_probe_trigrams": trigrams,
              "reports": int(state["reports"]), "cases": int(state["cases"]),
              "fingerprint_rows": int(state["fingerprint_rows"]),
              "synthesis_seconds": json.loads(state["synthesis_seconds"]),
              "trgm_index_seconds": float(state["trgm_index_seconds"]), "seed": args.seed,
              "match_near_duplicates": settings.MATCH_NEAR_DUPLICATES,
              "match_near_threshold": settings.MATCH_NEAR_THRESHOLD, "trgm_threshold": args.trgm_threshold,
              "queries": len(queries), "warmup": len(warmup), "target_p95_ms": TARGET_P95_MS,
              "store_built_this_run": built}

    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, false)", [str(args.trgm_threshold)])
        print(f"  warming up with {len(warmup)} reports, then timing {len(queries)} through both ...", flush=True)
        time_both(warmup, cursor)
        rss_before = rss_mb()
        timed = time_both(queries, cursor)
        rss_after = rss_mb()
        cursor.execute("SHOW pg_trgm.similarity_threshold")
        result["trgm_threshold_in_effect"] = cursor.fetchone()[0]
        result["matcher"], result["pg_trgm"] = outcomes(timed, "matcher"), outcomes(timed, "trgm")
        result["matcher_reasons"] = {kind: dict(Counter(row["matcher_reason"] or "none" for row in timed
                                                        if row["kind"] == kind).most_common())
                                     for kind in ("reworded", "unseen")}
        result["both_same_case"] = sum(1 for row in timed if row["matcher_case"] == row["trgm_case"])
        result["rss_mb"] = {"before": rss_before, "after": rss_after}
        result["load_after"] = os.getloadavg()
        result["target_met"] = result["matcher"]["latency_ms"]["p95"] <= TARGET_P95_MS
        result["sizes"] = sizes()
        result["matcher_breakdown"] = matcher_breakdown(timed)
        result["explain_matcher"] = explain_slowest(timed, cursor)
        result["explain_trgm"] = explain_trgm(timed, cursor)
    result["per_query"] = [{key: (round(value, 2) if isinstance(value, float) else value)
                            for key, value in row.items() if key != "text"} for row in timed]

    show(result)
    if not result["target_met"] or args.explain:
        slowest = result["explain_matcher"][0]
        print(f"\n  the slowest match_report ({slowest['matcher_ms']} ms, {slowest['statements']} statements); "
              f"its slowest statement ({slowest['statement']}), EXPLAIN ANALYZE:")
        print("\n".join("    " + line for line in slowest["plan"]))
    write_result("matching_scale", result)
    if args.drop:
        drop_database(args.database)


if __name__ == "__main__":
    main()
