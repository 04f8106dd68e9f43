"""The seeded store the benchmarks share. See bench/README.md.

    .venv/bin/python bench/store.py            # build it if missing or out of date, then describe it
    .venv/bin/python bench/store.py --rebuild  # build it again

A dedicated PostgreSQL database (`rumorcases_bench_store`), migrated, holding what a city office
accumulates over two years, derived from the real Weibo posts in ../shared/data/weibo-ced/:
18 platforms, 200,000 accounts (one in ten tied to a subject that holds accounts on several
platforms), 300,000 cases (each a post re-dated to another week, reworded: the same rumour
recurring), in the states a two-year history leaves them (recent ones open, at every stage; older
ones closed, a few stuck and overdue), and 1,000,000 reports: every case's first report, then
reposts and rewordings of its post, from accounts of every platform. Every tenth post is held out:
no case and no report (the matching benchmark's unseen queries). Written with COPY from
`--workers` processes, indexes built afterwards. Kept between runs while its size, seed,
migrations and the matcher's normalisation and band keys are unchanged.
"""

import argparse
import gzip
import hashlib
import io
import json
import math
import multiprocessing
import random
import time
from datetime import UTC, datetime, timedelta

import common
import psycopg2
from common import DATA, PG, admin_execute, load_posts
from common import drop_database as drop_database_only

REPOSTS = DATA / "reposts.jsonl.gz"
DATABASE = "rumorcases_bench_store"
HELD_OUT_EVERY = 10  # post ids ending in 9 have no stored reports: the non-matching queries
CHUNK = 10_000  # rows per COPY (and per random seed: the data does not depend on --workers)
TRGM_INDEX = "bench_report_normalised_trgm"
STATE_TABLE = "bench_store_state"
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
    common.setup_django(name, MATCH_NEAR_DUPLICATES="true")


# --- what the store holds -----------------------------------------------------------------------------

# (code, name, English name, key platform, share of accounts in %, host of its post URLs)
PLATFORMS = [
    ("weibo", "新浪微博", "Weibo", True, 30, "weibo.com"),
    ("douyin", "抖音", "Douyin", True, 14, "www.douyin.com"),
    ("wechat", "微信公众平台", "WeChat", True, 10, "mp.weixin.qq.com"),
    ("kuaishou", "快手", "Kuaishou", True, 8, "www.kuaishou.com"),
    ("toutiao", "今日头条", "Toutiao", True, 6, "www.toutiao.com"),
    ("xiaohongshu", "小红书", "Xiaohongshu", True, 5, "www.xiaohongshu.com"),
    ("bilibili", "哔哩哔哩", "Bilibili", False, 4, "www.bilibili.com"),
    ("baidu", "百家号", "Baijiahao", True, 3, "baijiahao.baidu.com"),
    ("zhihu", "知乎", "Zhihu", False, 3, "www.zhihu.com"),
    ("tieba", "百度贴吧", "Baidu Tieba", False, 3, "tieba.baidu.com"),
    ("qzone", "QQ空间", "Qzone", False, 3, "user.qzone.qq.com"),
    ("douban", "豆瓣", "Douban", False, 2, "www.douban.com"),
    ("xigua", "西瓜视频", "Xigua Video", False, 2, "www.ixigua.com"),
    ("netease", "网易新闻", "NetEase News", False, 2, "www.163.com"),
    ("ifeng", "凤凰网", "ifeng", False, 2, "www.ifeng.com"),
    ("huya", "虎牙直播", "Huya", False, 1, "www.huya.com"),
    ("douyu", "斗鱼直播", "Douyu", False, 1, "www.douyu.com"),
    ("sohu", "搜狐号", "Sohu", False, 1, "www.sohu.com"),
]
STAFF = 24  # officers cases are assigned to
HISTORY_DAYS = 730  # cases opened over the last two years
OPEN_DAYS = 45  # cases younger than this are still being worked
OPEN_STATES = [("discovered", 25), ("verifying", 30), ("debunking", 15), ("disposing", 20), ("exposing", 10)]
RESOLUTIONS = [("exposed", 40), ("disposed_not_exposed", 25), ("not_a_rumour", 15), ("unverifiable", 10),
               ("out_of_scope", 5), ("duplicate", 5)]
PRIORITIES = [("P1", 10), ("P2", 30), ("P3", 60)]
STAGE_HOURS = {"P1": 24, "P2": 72, "P3": 120}
CATEGORIES = [("rumour", 85), ("personal_attack", 5), ("privacy_violation", 4), ("discrimination_harassment", 3),
              ("other", 3)]
ACCOUNT_TYPES = [("individual", 85), ("self_media", 10), ("organisation", 3), ("mcn", 2)]
SUBJECT_EVERY = 10  # one account in ten belongs to a subject; a subject holds two or three accounts,
ACCOUNTS_PER_SUBJECT = 25  # usually on other platforms (200,000 accounts: 8,000 subjects)


def _platform_slots() -> list[int]:
    """100 slots, each the index of a platform, as many as its share: account → platform."""
    return [index for index, platform in enumerate(PLATFORMS) for _ in range(platform[4])]


PLATFORM_SLOTS = _platform_slots()


def platform_of_account(account_id: int) -> int:
    """The index in PLATFORMS of an account's platform: arithmetic, so every process agrees."""
    return PLATFORM_SLOTS[(account_id * 2_654_435_761) % 100]


def subjects_for(accounts: int) -> int:
    return max(1, accounts // ACCOUNTS_PER_SUBJECT)


def _pick(rng: random.Random, weighted: list[tuple]) -> str:
    return rng.choices([choice for choice, _ in weighted], weights=[weight for _, weight in weighted])[0]


def case_opened_at(index: int, cases: int, now: datetime) -> datetime:
    """When case `index` (0-based) was opened: evenly over HISTORY_DAYS, the last one a day ago,
    with a few hours of deterministic jitter (arithmetic, so every process agrees)."""
    span = timedelta(days=HISTORY_DAYS - 1).total_seconds()
    seconds = span * (cases - 1 - index) / max(cases - 1, 1) + 86_400 + (index * 7_919) % 21_600
    return now - timedelta(seconds=seconds)


def wanted_state(args, posts: list[dict]) -> dict:
    """What must not have changed for a stored store to be reused: its sizes and seed, the
    migrations in the tree, and what `normalise` and `band_keys` make of a sample of posts."""
    from django.db.migrations.loader import MigrationLoader

    from rumorcases.cases.fingerprints import band_keys
    from rumorcases.cases.normalise import normalise

    sample = [normalise(post["text"]) for post in posts[:40]]
    matcher = hashlib.sha256(repr([(norm, band_keys(norm)) for norm in sample]).encode()).hexdigest()
    leaves = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes()
    return {"reports": str(args.reports), "cases": str(args.cases), "accounts": str(args.accounts),
            "platforms": str(len(PLATFORMS)), "seed": str(args.seed), "matcher": matcher,
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

REPORT_COLUMNS = ("id", "platform_id", "external_id", "case_id", "author_id", "title", "content", "content_hash",
                  "normalised", "url", "posted_at", "content_type", "language", "category", "reason", "source",
                  "evidence_urls", "views", "reposts", "comments", "likes", "match_reason", "received_at",
                  "updated_at")
CASE_COLUMNS = ("id", "reference", "title", "claim", "category", "priority", "status", "resolution", "assignee_id",
                "stage_started_at", "stage_deadline", "closed_at", "created_at", "updated_at")
ACCOUNT_COLUMNS = ("id", "platform_id", "platform_account_id", "handle", "display_name", "account_type",
                   "followers", "verified", "subject_id", "first_seen_at", "updated_at")
SUBJECT_COLUMNS = ("id", "name", "kind", "notes", "created_at")
REPORT_SOURCES = [("user_report", 55), ("platform_review", 25), ("automated_detection", 15),
                  ("trusted_flagger", 5)]


def _copy_text(value) -> str:
    """A value in COPY's text format (None is NULL)."""
    if value is None:
        return "\\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_line(values) -> str:
    return "\t".join(_copy_text(value) for value in values)


def copy_rows(cursor, table: str, columns: tuple[str, ...], lines: list[str]) -> None:
    if lines:
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", io.StringIO("\n".join(lines) + "\n"))


def check_columns(cursor, table: str, columns: tuple[str, ...]) -> None:
    """Every NOT NULL column without a default is written: fail early if the model grew one."""
    cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                   "AND is_nullable = 'NO' AND column_default IS NULL", [table])
    missing = {row[0] for row in cursor.fetchall()} - set(columns)
    if missing:
        raise SystemExit(f"{table} has NOT NULL columns this script does not fill: {sorted(missing)}")


def fingerprint_layout() -> tuple[str, ...]:
    """The COPY columns of cases_reportfingerprint for what `band_keys` returns: (band, key)
    pairs in the tree before band keys were folded, plain keys after."""
    from rumorcases.cases.fingerprints import band_keys

    keys = band_keys("牙膏底部的颜色条其实是给机器看的")
    return ("report_id", "band", "key") if isinstance(keys[0], tuple) else ("key", "report_id")


def create_platforms_and_staff() -> list[int]:
    """The 18 platforms (ids in PLATFORMS order) and the officers cases are assigned to."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from rumorcases.core import roles
    from rumorcases.platforms.models import Platform

    platforms = [Platform.objects.create(slug=slug, name=name, name_en=name_en, is_key=key,
                                         contact_email=f"rumour-desk@{host.removeprefix('www.')}")
                 for slug, name, name_en, key, _, host in PLATFORMS]
    roles.sync_roles()
    officers = Group.objects.get(name=roles.VERIFIER)
    user_model = get_user_model()
    for number in range(1, STAFF + 1):
        user = user_model.objects.create_user(f"officer{number:02d}", first_name=f"办案员{number:02d}")
        user.groups.add(officers)
    return [platform.pk for platform in platforms]


def copy_accounts(cursor, args, platform_ids: list[int], now: datetime) -> None:
    rng = random.Random(f"{args.seed}:accounts")  # noqa: S311 - test data, not secrets
    subject_count = subjects_for(args.accounts)
    subjects = [_copy_line((number, f"主体{number:05d}", "organisation" if number % 9 == 0 else "person", "",
                            now.isoformat())) for number in range(1, subject_count + 1)]
    copy_rows(cursor, "disposal_subject", SUBJECT_COLUMNS, subjects)
    lines = []
    for account_id in range(1, args.accounts + 1):
        first_seen = now - timedelta(days=rng.uniform(1, HISTORY_DAYS + 365))
        subject = (account_id // SUBJECT_EVERY) % subject_count + 1 if account_id % SUBJECT_EVERY == 0 else None
        lines.append(_copy_line((
            account_id, platform_ids[platform_of_account(account_id)], f"bench{account_id:07d}",
            f"user{account_id:07d}", f"网友{account_id:07d}", _pick(rng, ACCOUNT_TYPES),
            int(rng.lognormvariate(5, 2.2)), rng.random() < 0.05, subject, first_seen.isoformat(),
            first_seen.isoformat())))
        if len(lines) == CHUNK * 5:
            copy_rows(cursor, "disposal_account", ACCOUNT_COLUMNS, lines)
            lines = []
    copy_rows(cursor, "disposal_account", ACCOUNT_COLUMNS, lines)


def case_row(index: int, case_id: int, post: dict, reference: str, rng: random.Random, plan: dict) -> tuple:
    """Case `index`: its post re-dated and (after the first occurrence) reworded; recent cases
    open at some stage, older ones closed, a few of them stuck open and overdue."""
    now = plan["now_dt"]
    opened = case_opened_at(index, plan["cases"], now)
    claim = (post["text"] if index < len(plan["stored"]) else reword(post["text"], rng, change_words=True)) or "-"
    priority = _pick(rng, PRIORITIES)
    age = now - opened
    resolution, closed_at, deadline = "", None, None
    if age < timedelta(days=OPEN_DAYS) or rng.random() < 0.03:
        status = _pick(rng, OPEN_STATES)
        stage_started = opened + age * rng.uniform(0, 0.8) if status != "discovered" else opened
        deadline = stage_started + timedelta(hours=STAGE_HOURS[priority])
        updated = stage_started
    else:
        status, resolution = "closed", _pick(rng, RESOLUTIONS)
        closed_at = opened + timedelta(hours=rng.uniform(6, 24 * 40))
        stage_started = updated = closed_at
    assignee = rng.choice(plan["staff_ids"]) if rng.random() < 0.8 else None
    return (case_id, reference, claim[:60], claim, _pick(rng, CATEGORIES), priority, status, resolution, assignee,
            stage_started.isoformat(), deadline.isoformat() if deadline else None,
            closed_at.isoformat() if closed_at else None, opened.isoformat(), updated.isoformat())


def copy_cases(cursor, plan: dict, seed: int) -> dict[str, int]:
    """Every case, references numbered per year as the product numbers them; returns the
    counters ({"case-2026": last number, ...})."""
    rng = random.Random(f"{seed}:cases")  # noqa: S311 - test data, not secrets
    stored, counters, lines = plan["stored"], {}, []
    for index in range(plan["cases"]):
        year = case_opened_at(index, plan["cases"], plan["now_dt"]).astimezone(plan["zone"]).year
        counters[f"case-{year}"] = number = counters.get(f"case-{year}", 0) + 1
        post = stored[index % len(stored)]
        lines.append(_copy_line(case_row(index, index + 1, post, f"RC-{year}-{number:06d}", rng, plan)))
        if len(lines) == CHUNK * 5:
            copy_rows(cursor, "cases_case", CASE_COLUMNS, lines)
            lines = []
    copy_rows(cursor, "cases_case", CASE_COLUMNS, lines)
    return counters


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


def report_case(index: int, rng: random.Random, plan: dict) -> tuple[int, dict, str]:
    """(case index, post, text) of report `index`: the first report of every case (the post as
    published for a post's first case), then copies of a post, drawn with weight 1 + √reposts, in
    one of the cases that post recurs as."""
    stored = plan["stored"]
    if index < plan["cases"]:
        post = stored[index % len(stored)]
        return index, post, post["text"] if index < len(stored) else report_text(post, rng)
    post_index = rng.choices(range(len(stored)), cum_weights=plan["weights"])[0]
    occurrences = (plan["cases"] - post_index + len(stored) - 1) // len(stored)
    post = stored[post_index]
    return post_index + len(stored) * rng.randrange(occurrences), post, report_text(post, rng)


def _synthesise_chunk(start: int) -> tuple[int, int]:
    """Reports start … start + CHUNK - 1 and their fingerprints, in one COPY each; returns
    (reports, fingerprint rows)."""
    from rumorcases.cases.fingerprints import band_keys
    from rumorcases.cases.normalise import normalise

    plan = _WORKER
    stop = min(start + CHUNK, plan["reports"])
    rng = random.Random(f"{plan['seed']}:{start}")  # noqa: S311 - test data, not secrets
    keys_of: dict[str, list] = {}  # reposts often normalise alike: their band keys once per chunk
    report_lines, fingerprint_lines = [], []
    for index in range(start, stop):
        report_id = index + 1
        case_index, post, text = report_case(index, rng, plan)
        account = rng.randrange(1, plan["accounts"] + 1)
        platform = platform_of_account(account)
        norm = normalise(text)
        keys = keys_of.get(norm)
        if keys is None:
            keys = keys_of[norm] = band_keys(norm)
        received = case_opened_at(case_index, plan["cases"], plan["now_dt"]) + timedelta(
            minutes=rng.randrange(0 if index < plan["cases"] else 10, 3 * 24 * 60))
        posted_at = received - timedelta(minutes=rng.randrange(1, 24 * 60))
        values = (report_id, plan["platform_ids"][platform], f"bench-{report_id}", case_index + 1, account, "",
                  text, hashlib.sha256(norm.encode("utf-8")).hexdigest(), norm,
                  f"https://{PLATFORMS[platform][5]}/user{account:07d}/B{report_id}", posted_at.isoformat(),
                  "image" if post.get("pics") else "text", "zh-CN", "rumour", "", _pick(rng, REPORT_SOURCES), "[]",
                  0, post["reposts"], post["comments"], post["likes"], "", received.isoformat(), received.isoformat())
        report_lines.append(_copy_line(values))
        if plan["layout"][0] == "key":
            fingerprint_lines.extend(f"{key}\t{report_id}" for key in keys)
        else:
            fingerprint_lines.extend(f"{report_id}\t{band}\t{key}" for band, key in keys)
    connection = plan["connection"]
    with connection.cursor() as cursor:
        copy_rows(cursor, "cases_report", REPORT_COLUMNS, report_lines)
        copy_rows(cursor, "cases_reportfingerprint", plan["layout"], fingerprint_lines)
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


LOADED_TABLES = ("disposal_subject", "disposal_account", "cases_case", "cases_report", "cases_reportfingerprint")


def synthesise(args, stored: list[dict]) -> dict:
    """Fill the freshly migrated database; returns what to remember about it."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from rumorcases.core.models import Counter

    phases = {}
    began = time.monotonic()
    now = timezone.now()
    platform_ids = create_platforms_and_staff()
    staff_ids = list(get_user_model().objects.filter(username__startswith="officer").values_list("pk", flat=True))
    plan = {"database": args.database, "stored": stored, "platform_ids": platform_ids, "staff_ids": staff_ids,
            "weights": cumulative_weights(stored), "seed": args.seed, "reports": args.reports, "cases": args.cases,
            "accounts": args.accounts, "layout": fingerprint_layout(), "now_dt": now,
            "zone": timezone.get_default_timezone() if settings.USE_TZ else UTC}
    with connection.cursor() as cursor:
        for table, columns in (("disposal_subject", SUBJECT_COLUMNS), ("disposal_account", ACCOUNT_COLUMNS),
                               ("cases_case", CASE_COLUMNS), ("cases_report", REPORT_COLUMNS)):
            check_columns(cursor, table, columns)
        restore = [statement for table in LOADED_TABLES
                   for statement in detach_indexes(cursor, table, keep_primary_key=table != "cases_reportfingerprint")]
        print(f"  writing {subjects_for(args.accounts):,} subjects, {args.accounts:,} accounts on "
              f"{len(PLATFORMS)} platforms and {args.cases:,} cases ...", flush=True)
        copy_accounts(cursor, args, platform_ids, now)
        counters = copy_cases(cursor, plan, args.seed)
    for name, value in counters.items():
        Counter.objects.update_or_create(name=name, defaults={"value": value})
    phases["accounts_and_cases"] = time.monotonic() - began

    step = time.monotonic()
    print(f"  writing {args.reports:,} reports with COPY from {args.workers} processes ...", flush=True)
    fingerprint_rows = copy_reports(plan, args.workers)
    phases["reports"] = time.monotonic() - step

    step = time.monotonic()
    print(f"  building {len(restore)} indexes and constraints ...", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for statement in restore:
            cursor.execute(statement)
        for table, last in (("disposal_subject", subjects_for(args.accounts)), ("disposal_account", args.accounts),
                            ("cases_case", args.cases), ("cases_report", args.reports)):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [last])
    phases["indexes"] = time.monotonic() - step

    step = time.monotonic()
    print("  VACUUM ANALYZE (hint bits and the visibility map, as a settled table has them) ...", flush=True)
    with connection.cursor() as cursor:
        for table in LOADED_TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
    phases["vacuum_analyze"] = time.monotonic() - step
    phases["total"] = time.monotonic() - began
    return {"fingerprint_rows": fingerprint_rows, "stored_posts": len(stored),
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



def prepare_store(args, posts: list[dict], stored: list[dict]) -> tuple[dict, bool]:
    """The store at the requested size, reused when it matches: (its state, whether built now)."""
    from django.core.management import call_command

    wanted = wanted_state(args, posts)
    state = read_state() if database_exists(args.database) and not args.rebuild else {}
    differences = state_differences(state, wanted)
    if differences == ["migrations"]:
        # New migrations on an unchanged store: applied as a deployment would apply them.
        print(f"  migrating the store in {args.database} to the tree's migrations ...", flush=True)
        call_command("migrate", interactive=False, verbosity=0)
        state["migrations"] = wanted["migrations"]
        write_state(state)
        differences = []
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", default=DATABASE, help="kept between runs (default %(default)s)")
    parser.add_argument("--reports", type=int, default=1_000_000, help="stored reports (default %(default)s)")
    parser.add_argument("--cases", type=int, default=300_000, help="cases (default %(default)s)")
    parser.add_argument("--accounts", type=int, default=200_000, help="accounts (default %(default)s)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiply reports, cases and accounts (a quick try: --scale 0.02 --database NAME)")
    parser.add_argument("--rebuild", action="store_true", help="synthesise the store again even if it matches")
    parser.add_argument("--workers", type=int, default=2, help="processes computing and copying reports")
    parser.add_argument("--seed", type=int, default=20121116)


def open_store(parser: argparse.ArgumentParser, args) -> tuple[dict, bool, list[dict], list[dict]]:
    """Django set up on the store, built first if missing or out of date: (its state, whether
    built now, the stored posts, the held-out posts)."""
    args.reports, args.cases, args.accounts = (round(getattr(args, name) * args.scale)
                                               for name in ("reports", "cases", "accounts"))
    posts = load_posts()
    stored, held_out = split_posts(posts)
    if args.cases < len(stored):
        parser.error(f"at least {len(stored):,} cases (one per stored post)")
    if args.reports < args.cases:
        parser.error("at least as many reports as cases (every case has its first report)")
    if args.accounts < 1:
        parser.error("at least one account")
    setup_django(args.database)
    state, built = prepare_store(args, posts, stored)
    return state, built, stored, held_out


def describe() -> dict:
    """Row counts and sizes of what the store holds."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT status, count(*) FROM cases_case GROUP BY status ORDER BY 2 DESC")
        states = dict(cursor.fetchall())
        cursor.execute("SELECT count(*) FROM cases_case WHERE status <> 'closed' AND stage_deadline < now()")
        overdue = cursor.fetchone()[0]
        counts = {}
        for table in LOADED_TABLES:  # the big ones: from the statistics, not counted
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            counts[table] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM platforms_platform")
        counts["platforms_platform"] = cursor.fetchone()[0]
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
    return {"rows_estimated": counts, "case_states": states, "open_overdue": overdue, "database_bytes": size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args()
    began = time.monotonic()
    state, built, _, _ = open_store(parser, args)
    print(f"  the store {'built' if built else 'reused'} in {time.monotonic() - began:.0f} s: "
          f"{json.dumps(describe(), ensure_ascii=False)}")


if __name__ == "__main__":
    main()
