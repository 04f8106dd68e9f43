"""The Simplified Chinese catalogue: complete, checked, compiled, and actually used.

zh-hans is the default language and English the language of the msgids, so an empty or fuzzy
entry shows staff and the public English (a fuzzy one is ignored when compiling). After adding or
changing marked strings run
`manage.py makemessages -l zh_Hans --ignore=.venv --ignore=node_modules --ignore=var
--ignore=test-artifacts --no-obsolete`, translate, then `manage.py compilemessages`.

The strings looked up below are passed to gettext through a variable on purpose: makemessages
only collects literals, so this file never lands in the catalogue.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

PO = Path(settings.BASE_DIR) / "rumorcases" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

CJK = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"%\((\w+)\)")


def _unquote(text: str) -> str:
    body = text.strip()
    assert body.startswith('"') and body.endswith('"'), f"not a PO string: {text!r}"
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
    return re.sub(r'\\(.)', lambda m: escapes.get(m.group(1), m.group(0)), body[1:-1])


def parse_po(path: Path) -> list[dict]:
    """Entries as dicts: msgid, msgid_plural (or None), msgstr {index or None: text}, flags, line.
    Obsolete (#~) entries are left out. Enough of the PO format for what makemessages writes."""
    entries, entry, current = [], None, None

    def finish():
        if entry is not None and entry["msgid"] is not None:
            entries.append(entry)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            entry, current = None, None
            continue
        if line.startswith("#~"):
            continue
        if entry is None:
            entry = {"msgid": None, "msgid_plural": None, "msgstr": {}, "flags": set(), "line": number}
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        if line.startswith("#"):
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$", line)
        if match:
            keyword, index, value = match.groups()
            if keyword.startswith("msgstr"):
                current = ("msgstr", int(index) if index is not None else None)
                entry["msgstr"][current[1]] = _unquote(value)
            else:
                current = (keyword, None)
                entry[keyword] = _unquote(value)
            continue
        assert line.startswith('"') and current is not None, f"{path.name}:{number}: cannot read {raw!r}"
        keyword, index = current
        if keyword == "msgstr":
            entry["msgstr"][index] += _unquote(line)
        else:
            entry[keyword] += _unquote(line)
    finish()
    return entries


@pytest.fixture(scope="module")
def catalogue() -> list[dict]:
    assert PO.exists(), f"{PO} is missing"
    return parse_po(PO)


def _messages(catalogue):
    return [e for e in catalogue if e["msgid"] != ""]


def _where(entry) -> str:
    return f"line {entry['line']}: {entry['msgid'][:70]!r}"


def test_header_keeps_the_chinese_plural_forms(catalogue):
    header = next(e for e in catalogue if e["msgid"] == "")
    assert "Plural-Forms: nplurals=1; plural=0;" in header["msgstr"][None]
    assert "charset=UTF-8" in header["msgstr"][None]


def test_every_entry_is_translated(catalogue):
    messages = _messages(catalogue)
    assert len(messages) > 500  # the parser read the catalogue, not an empty or truncated file
    empty = [_where(e) for e in messages if not e["msgstr"] or any(not text for text in e["msgstr"].values())]
    assert not empty, f"{len(empty)} entries have an empty msgstr:\n" + "\n".join(empty)


def test_no_entry_is_fuzzy(catalogue):
    fuzzy = [_where(e) for e in catalogue if "fuzzy" in e["flags"] and e["msgid"] != ""]
    assert not fuzzy, f"{len(fuzzy)} entries are still fuzzy (check them, then drop the flag):\n" + "\n".join(fuzzy)


def test_plural_entries_have_the_one_chinese_form(catalogue):
    wrong = [_where(e) for e in _messages(catalogue) if e["msgid_plural"] is not None and set(e["msgstr"]) != {0}]
    assert not wrong, "plural entries need exactly msgstr[0] (nplurals=1):\n" + "\n".join(wrong)


def test_translations_keep_the_named_placeholders(catalogue):
    wrong = []
    for entry in _messages(catalogue):
        wanted = set(PLACEHOLDER.findall(entry["msgid"]))
        if entry["msgid_plural"] is not None:
            wanted |= set(PLACEHOLDER.findall(entry["msgid_plural"]))
        for text in entry["msgstr"].values():
            if set(PLACEHOLDER.findall(text)) != wanted:
                wrong.append(_where(entry))
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


def test_compiled_catalogue_is_current():
    assert MO.exists(), f"{MO.name} is missing: run `manage.py compilemessages` (make messages)"
    assert MO.stat().st_mtime >= PO.stat().st_mtime, (
        f"{MO.name} is older than {PO.name}: run `manage.py compilemessages` (make messages)")


# Strings that templates and views show on every staff page or on common ones.
KNOWN_STRINGS = [
    "My work",
    "Record a post",
    "Sign in",
    "Sign out",
    "Dashboard",
    "Exposure bulletins",
    "Next steps",
    "Debunk notice",
    "Times are Beijing time (Asia/Shanghai).",
    "Case changed meanwhile",
]


@pytest.mark.parametrize("text", KNOWN_STRINGS)
def test_known_strings_read_in_chinese(text):
    with translation.override("zh-hans"):
        translated = translation.gettext(text)
    assert translated != text, f"{text!r} is not translated in the compiled zh-hans catalogue"
    assert CJK.search(translated), f"{text!r} → {translated!r} has no Chinese in it"


def test_plural_strings_read_in_chinese():
    singular, plural = "%(n)s day", "%(n)s days"
    with translation.override("zh-hans"):
        texts = [translation.ngettext(singular, plural, n) % {"n": n} for n in (1, 2)]
    assert texts == ["1天", "2天"]


@pytest.mark.django_db
def test_sign_in_page_is_chinese_by_default(client):
    with translation.override("zh-hans"):
        heading = translation.gettext(KNOWN_STRINGS[2])
    response = client.get("/staff/login/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'lang="zh-hans"' in page
    assert heading in page
