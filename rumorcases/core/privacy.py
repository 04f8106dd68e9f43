"""The privacy gate: public text must not carry personal data.

`find_personal_data` is pure: it finds PRC resident ID numbers (checksum and date of birth
checked), mobile and landline numbers, e-mail addresses, bank card numbers (Luhn), licence
plates, and the names it is given. `privacy_gate` runs it over the named texts about to be
published and raises `ApplicationError(PERSONAL_DATA)` saying, field by field, what was found
and where (the finding masked: the message must not repeat what it refuses).

The services call `privacy_gate` at publication (notices, corrections, withdrawal statements,
bulletins), where no flag or role skips it, and earlier where it is cheap (submission for
review, bulletin entries), so staff learn of a problem before the last step. docs/privacy.md.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rumorcases.core.exceptions import ApplicationError

PERSONAL_DATA = "personal_data"

ID_NUMBER = "id_number"
MOBILE = "mobile"
LANDLINE = "landline"
EMAIL = "email"
BANK_CARD = "bank_card"
PLATE = "plate"
NAME = "name"

KIND_LABELS = {
    ID_NUMBER: gettext_lazy("a resident ID number"),
    MOBILE: gettext_lazy("a mobile phone number"),
    LANDLINE: gettext_lazy("a landline phone number"),
    EMAIL: gettext_lazy("an e-mail address"),
    BANK_CARD: gettext_lazy("a bank card number"),
    PLATE: gettext_lazy("a licence plate number"),
    NAME: gettext_lazy("the name of a person listed in the case file"),
}

# Fullwidth ASCII (！…～) and the ideographic space, as their ASCII selves: one character for one,
# so positions found in the translated text are positions in the original.
_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

_PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82", "83",
})
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# Digits are [0-9], never \d: \d would take other scripts' digits too.
_ID18 = re.compile(r"(?<![0-9])([0-9]{6})[ -]?([0-9]{8})[ -]?([0-9]{3}[0-9Xx])(?![0-9])")
_ID15 = re.compile(r"(?<![0-9])[0-9]{15}(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])(?:(?:\+|00)?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9])")
_LANDLINE = re.compile(
    r"(?<![0-9])(?:"
    r"(?:\+|00)86[ -]?\(?0?[1-9][0-9]{1,2}\)?[ -]?[2-9][0-9]{2,3}[ -]?[0-9]{4}"  # +86 21 6437 1234
    r"|(?:\(0[1-9][0-9]{1,2}\)|0[1-9][0-9]{1,2})[ -]?[2-9][0-9]{2,3}[ -]?[0-9]{4}"
    r")(?![0-9])"
)
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Digit groups joined by single spaces or dashes; card numbers are looked for among them.
_DIGIT_GROUPS = re.compile(r"(?<![0-9])[0-9]+(?:[ -][0-9]+)*(?![0-9])")
_PLATE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
    r"([A-HJ-NP-Z])[·•・.\- ]?([A-HJ-NP-Z0-9]{5,6}|[A-HJ-NP-Z0-9]{4}[挂学警港澳领])(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# A URL ends at a space, a quote or a CJK character or punctuation mark (after the fullwidth
# forms were made ASCII).
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'\u3000-\u303f\u4e00-\u9fff“”‘’]+", re.IGNORECASE)

# Inside a URL only what is unmistakable counts: a numeric id in a path is usually a post's.
_KINDS_IN_URLS = frozenset({ID_NUMBER, MOBILE, EMAIL})


@dataclass(frozen=True)
class Finding:
    """One piece of personal data in a text: `start`/`end` index the text as given."""

    kind: str
    start: int
    end: int
    text: str

    @property
    def masked(self) -> str:
        return mask(self.kind, self.text)

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self.kind])


@dataclass(frozen=True)
class PublicText:
    """A text about to be published: `field` names it in `ApplicationError.fields` (a form field's
    name where a form shows it), `label` tells staff where it is."""

    field: str
    label: str
    text: str


def field_label(model, name: str, *, capitalise: bool = True) -> str:
    """A model field's verbose name, as a `PublicText` label."""
    label = model._meta.get_field(name).verbose_name
    return str(capfirst(label) if capitalise else label)


# --- checks on single values -------------------------------------------------------------


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isascii() and ch.isdigit())


def _valid_birth_date(year: int, month: int, day: int) -> bool:
    try:
        born = datetime.date(year, month, day)
    except ValueError:
        return False
    return datetime.date(1900, 1, 1) <= born <= timezone.localdate()


def id_checksum_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of an 18-character resident ID number."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def is_resident_id(value: str) -> bool:
    """An 18-character resident ID number (separators ignored): a province code, a real date of
    birth, and the right check character. A number failing any of them is not an ID."""
    compact = value.replace(" ", "").replace("-", "").upper()
    if len(compact) == 15:
        return _is_legacy_id(compact)
    if len(compact) != 18 or not compact[:17].isdigit() or compact[17] not in "0123456789X":
        return False
    if compact[:2] not in _PROVINCE_CODES:
        return False
    if not _valid_birth_date(int(compact[6:10]), int(compact[10:12]), int(compact[12:14])):
        return False
    return id_checksum_char(compact[:17]) == compact[17]


def _is_legacy_id(compact: str) -> bool:
    """A 15-digit ID (issued before 1999): no check digit, so only the province and the date
    (19YYMMDD) tell it from any other number."""
    if len(compact) != 15 or not compact.isdigit() or compact[:2] not in _PROVINCE_CODES:
        return False
    return _valid_birth_date(1900 + int(compact[6:8]), int(compact[8:10]), int(compact[10:12]))


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def is_bank_card(digits: str) -> bool:
    """13–19 digits, an issuer's first digit (3 Amex/JCB, 4 Visa, 5 Mastercard, 6 UnionPay,
    9 domestic) and a valid Luhn check digit."""
    return 13 <= len(digits) <= 19 and digits[0] in "34569" and luhn_valid(digits)


# --- masking -----------------------------------------------------------------------------


def _mask_digits(value: str, keep_start: int, keep_end: int) -> str:
    """Mask every digit/letter except the first `keep_start` and the last `keep_end`."""
    positions = [i for i, ch in enumerate(value) if ch.isalnum()]
    hidden = set(positions[keep_start:len(positions) - keep_end])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(value))


def mask(kind: str, value: str) -> str:
    """The finding as a message may show it: enough to find it in the text, not enough to use it."""
    value = value.translate(_HALFWIDTH)
    if kind == ID_NUMBER:
        compact = re.sub(r"[ -]", "", value)
        return compact[:6] + "*" * (len(compact) - 10) + compact[-4:]
    if kind == MOBILE:
        digits = _digits(value)
        local, prefix = digits[-11:], digits[:-11].removeprefix("00")
        return (f"+{prefix} " if prefix else "") + local[:3] + "****" + local[-4:]
    if kind == LANDLINE:
        return _mask_digits(value, 3, 4) if not value.startswith(("+", "00")) else _mask_digits(value, 4, 4)
    if kind == BANK_CARD:
        return _mask_digits(value, 4, 4)
    if kind == EMAIL:
        local, _at, domain = value.partition("@")
        return local[:1] + "***@" + domain
    if kind == PLATE:
        compact = re.sub(r"[·•・.\- ]", "", value)
        return compact[:2] + "*" * (len(compact) - 4) + compact[-2:]
    if kind == NAME:
        compact = re.sub(r"[\s·•・]", "", value)
        return compact[:1] + "*" * max(len(compact) - 1, 1)
    return "*" * len(value)


# --- finding -----------------------------------------------------------------------------


def _name_pattern(name: str) -> re.Pattern | None:
    """A listed name as it may be written: any case, spaces or a middle dot between its characters
    ("张 三", "Zhang San"). Names of Latin letters match whole words only."""
    letters = [ch for ch in name if not ch.isspace() and ch not in "·•・"]
    if len(letters) < 2:
        return None  # a one-character "name" would refuse half the texts
    body = r"[\s·•・]*".join(re.escape(ch) for ch in letters)
    if letters[0].isascii() and letters[0].isalnum():
        body = r"(?<![A-Za-z0-9])" + body
    if letters[-1].isascii() and letters[-1].isalnum():
        body += r"(?![A-Za-z0-9])"
    return re.compile(body, re.IGNORECASE)


def _public_contacts() -> set[str]:
    """The office's own published hotline and mailbox (settings.PRIVACY_PUBLIC_CONTACTS) are not
    personal data; compared as digits, or as the lower-cased address."""
    allowed = set()
    for value in settings.PRIVACY_PUBLIC_CONTACTS:
        value = str(value).strip()
        allowed.add(value.lower() if "@" in value else _digits(value))
    return allowed


def _is_round_count(digits: str) -> bool:
    # "13000000000 次" is a count, not a phone: no number is issued with eight trailing zeros.
    return digits[-8:] == "00000000"


def _card_windows(match: re.Match) -> list[tuple[int, int]]:
    """Spans of digit groups in `match` that may be one card number: contiguous digits, or groups
    of at least 3 digits (the first of 4–6) joined by one kind of separator. Longest first."""
    text = match.string
    groups = [(match.start() + m.start(), match.start() + m.end()) for m in re.finditer(r"[0-9]+", match.group())]
    windows = []
    for first in range(len(groups)):
        # A card has at most 19 digits in groups of 3 or more: never more than 6 groups.
        for last in range(first, min(len(groups), first + 6)):
            window = groups[first:last + 1]
            lengths = [end - start for start, end in window]
            if sum(lengths) > 19:
                break
            if len(window) > 1:
                separators = {text[end] for _start, end in window[:-1]}
                if len(separators) > 1 or min(lengths) < 3 or not 4 <= lengths[0] <= 6:
                    continue
            windows.append((window[0][0], window[-1][1]))
    return sorted(windows, key=lambda span: span[0] - span[1])


def find_personal_data(text: str, *, names: Iterable[str] = ()) -> list[Finding]:
    """Every piece of personal data in `text`, in the order it appears; `names` are people's
    names listed in the case file, refused however they look (even "林某某")."""
    if not text:
        return []
    plain = text.translate(_HALFWIDTH)
    allowed = _public_contacts()
    urls = [(m.start(), m.end()) for m in _URL.finditer(plain)]
    taken: list[tuple[int, int]] = []
    found: list[Finding] = []

    def overlaps(start: int, end: int, spans) -> bool:
        return any(start < s_end and s_start < end for s_start, s_end in spans)

    def add(kind: str, start: int, end: int) -> bool:
        if overlaps(start, end, taken):
            return False
        if kind not in _KINDS_IN_URLS and overlaps(start, end, urls):
            return False
        value = text[start:end]
        key = plain[start:end].lower() if kind == EMAIL else _digits(plain[start:end])
        if kind in (MOBILE, LANDLINE, EMAIL) and (key in allowed or key[-11:] in allowed):
            return False
        taken.append((start, end))
        found.append(Finding(kind, start, end, value))
        return True

    for m in _EMAIL.finditer(plain):
        add(EMAIL, m.start(), m.end())
    for m in _ID18.finditer(plain):
        if is_resident_id(m.group()):
            add(ID_NUMBER, m.start(), m.end())
    for m in _ID15.finditer(plain):
        if _is_legacy_id(m.group()):
            add(ID_NUMBER, m.start(), m.end())
    # Cards before phones: a phone number is never 13 digits from an issuer's first digit on,
    # while a number grouped as cards are ("6222 0212 3456 7895", Luhn or not) holds runs that
    # read like phones; those are not phones.
    card_shaped = []
    for m in _DIGIT_GROUPS.finditer(plain):
        windows = _card_windows(m)
        digits = _digits(m.group())
        if (windows and windows[0] == m.span() and not m.group().isdigit()
                and 13 <= len(digits) <= 19 and digits[0] in "34569"):
            card_shaped.append(m.span())
        for start, end in windows:
            if is_bank_card(_digits(plain[start:end])):
                add(BANK_CARD, start, end)
    for m in _MOBILE.finditer(plain):
        if not _is_round_count(_digits(m.group())) and not overlaps(m.start(), m.end(), card_shaped):
            add(MOBILE, m.start(), m.end())
    for m in _LANDLINE.finditer(plain):
        if not overlaps(m.start(), m.end(), card_shaped):
            add(LANDLINE, m.start(), m.end())
    for m in _PLATE.finditer(plain):
        tail = m.group(2)
        if sum(ch.isdigit() for ch in tail) >= 3:
            add(PLATE, m.start(), m.end())
    for name in sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True):
        pattern = _name_pattern(name)
        if pattern is not None:
            for m in pattern.finditer(plain):
                add(NAME, m.start(), m.end())
    return sorted(found, key=lambda f: f.start)


# --- the gate ----------------------------------------------------------------------------

LISTED_ROLES = ("victim", "reporter", "witness")


def case_listed_names(cases: Iterable) -> list[str]:
    """Names of the victims, reporters and witnesses of `cases` and of the duplicates merged into
    them (their parties stay with them). One query per level of merging, usually two."""
    from rumorcases.cases.models import Case, CaseParty

    ids = {case.pk for case in cases if case is not None}
    frontier = set(ids)
    while frontier:
        frontier = set(Case.objects.filter(merged_into__in=frontier).values_list("pk", flat=True)) - ids
        ids |= frontier
    if not ids:
        return []
    return sorted(set(CaseParty.objects.filter(case__in=ids, role__in=LISTED_ROLES).values_list("name", flat=True)))


def finding_message(label: str, finding: Finding) -> str:
    return _("%(where)s: %(kind)s “%(snippet)s” at character %(position)s.") % {
        "where": label, "kind": finding.label, "snippet": finding.masked, "position": finding.start + 1}


def privacy_gate(*, texts: Iterable[PublicText], cases: Iterable = (), advice: str = "") -> None:
    """Refuse (`PERSONAL_DATA`) when any of `texts` carries personal data or names a person the
    case file of `cases` lists. Nobody may skip it: there is no flag and no role that does.
    `advice` tells staff how to change the text at this step."""
    names = case_listed_names(cases)
    fields: dict[str, list[str]] = {}
    places: list[str] = []
    for item in texts:
        for finding in find_personal_data(item.text or "", names=names):
            fields.setdefault(item.field, []).append(finding_message(item.label, finding))
            if item.label not in places:
                places.append(item.label)
    if not fields:
        return
    message = _("Personal data found in %(where)s: it cannot be published. "
                "Remove it, or write it so that nobody can be identified.") % {
        "where": ", ".join(f"“{place}”" for place in places)}
    if advice:
        message = f"{message} {advice}"
    raise ApplicationError(PERSONAL_DATA, message, fields=fields)
