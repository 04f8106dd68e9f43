"""Text normalisation for same-rumour matching of Chinese (and English) social-media posts.

`normalise(text)` reduces a post to the words that carry the rumour, so that two reports of
one rumour compare equal (or nearly) even when copied from different places.
`tokens_for_matching(text)` turns that into character n-grams for fuzzy comparison.

The rules run in this order (`_RULES`, one `_to_<name>` or `_strip_<name>` function each); why
each exists:

1. ``halfwidth``     NFKC: full-width letters, digits and marks (＃＠１２：（）) become ASCII, so
                     every later rule sees one spelling, and "１２" equals "12".
2. ``lowercase``     Latin (and other cased scripts) compare case-insensitively.
3. ``links``         URLs and bare ``t.cn`` short links differ per share and carry no rumour text.
4. ``emoji_codes``   Weibo emoji codes such as ``[泪]`` ``[哈哈]`` ``[doge]`` are decoration.
5. ``repost_chain``  In ``comment//@B: B's comment//@C: …`` only the reporter's own comment is
                     theirs; the chain repeats others. Everything from the first ``//@`` is
                     dropped. If the comment before it is empty (or only "转发微博"/"Repost"),
                     the nearest non-empty comment in the chain is kept instead, so a pasted
                     chain does not vanish.
6. ``share``         "(分享自 @优酷)", "分享自 @…", "via @…", trailing "via weibo.com": sharing
                     boilerplate added by apps and sites; also the word "Repost" ("Repost
                     Weibo"), which English Weibo fills in for a repost without comment.
7. ``hashtags``      Weibo topics ``#话题#`` and English ``#tag``: the same rumour is posted
                     under many topics. Removed with their text.
8. ``mentions``      ``@名字`` (up to whitespace or punctuation, at most 30 characters): who is
                     tagged differs per repost. E-mail addresses are not mentions.
9. ``punctuation``   Every character that is not a letter or a digit goes: punctuation,
                     symbols, emoji, whitespace, marks, controls. Re-punctuated or re-spaced
                     copies compare equal. Digits are kept (dates, amounts, phone numbers).
10. ``simplified``   Traditional → Simplified Chinese (OpenCC ``t2s``), applied until stable,
                     so a copy from Hong Kong or Taiwan matches the mainland one.
11. ``placeholders`` "转发微博"/"Repost Weibo", or a whole text of just "Repost"/"转发" (what
                     Weibo fills in for a repost without comment), "网页链接" (the label Weibo shows for a link) and
                     "来自…客户端" (client signature). Run last, on the squeezed text, so that
                     punctuation or spacing inside them cannot hide them and so that
                     ``normalise`` is idempotent.

Everything is plain string operations, precompiled regular expressions and OpenCC's compiled
converter (about 10 µs a post on the Weibo sample): this runs on every incoming report.
"""

import re
import unicodedata

import opencc

__all__ = ["normalise", "tokens_for_matching"]

_T2S = opencc.OpenCC("t2s")

# Characters allowed in a URL after the scheme (RFC 3986); the text is already NFKC + lower case.
_URL_CHARS = r"[a-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"
_LINK = re.compile(rf"(?:(?:https?|ftp)://|www\.){_URL_CHARS}+|(?<![a-z0-9.])t\.cn/[a-z0-9]+")
# Letters only (CJK or Latin), 1–8 of them: [泪] [哈哈] [doge] [din推撞]; "[1]" or "[图1]" stay.
_EMOJI_CODE = re.compile(r"\[[^\W\d_]{1,8}\]")
_CHAIN = re.compile(r"//\s*@")
# One link of a repost chain: "//@name:" (the colon may be missing).
_CHAIN_LINK_HEAD = re.compile(r"//\s*@[^:\s/]{1,30}\s*:?")
_SHARE = re.compile(
    r"\([^()\n]{0,30}分享自[^()\n]{0,60}\)"  # (分享自 @优酷) / (全文见图，分享自@长围脖 iPhone客户端)
    r"|分享自\s*@[\w\-]{1,30}"  # 分享自 @腾讯新闻
    r"|(?<![a-z])via\s*@[\w\-]{1,30}"  # via @贝月森
    r"|(?<![a-z])via\s+\S+\s*$"  # trailing "via weibo.com"
    r"|\brepost(?:\s+weibo)?\b"  # "Repost", "Repost Weibo": English Weibo's repost without comment
)
# Weibo topic "#…#": no whitespace inside, or containing a CJK character ("#Apple 发布会#").
# "#python and #django" is two English tags, not one topic.
_WEIBO_TAG = re.compile(r"#(?:[^#\s]{1,60}|[^#\n]{0,60}?[\u3400-\u9fff\uf900-\ufaff][^#\n]{0,60}?)#")
_ENGLISH_TAG = re.compile(r"#[\w\-]+")
_MENTION = re.compile(r"(?<![a-z0-9._%+\-])@[\w\-]{1,30}")
_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")
_PLACEHOLDER = re.compile(r"转发微博|网页链接|来自\w{0,20}?客户端|repostweibo")
_WHOLE_TEXT_PLACEHOLDERS = frozenset({"repost", "转发", "转"})


def _to_halfwidth(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _to_lowercase(text: str) -> str:
    return text.lower()


def _strip_links(text: str) -> str:
    return _LINK.sub(" ", text)


def _strip_emoji_codes(text: str) -> str:
    return _EMOJI_CODE.sub(" ", text)


def _strip_repost_chain(text: str) -> str:
    match = _CHAIN.search(text)
    if match is None:
        return text
    head = text[: match.start()]
    if _finish(head):
        return head
    # Nothing of the reporter's own: keep the nearest non-empty comment in the chain.
    for comment in _CHAIN.split(text)[1:]:
        comment = _CHAIN_LINK_HEAD.sub("", "//@" + comment, count=1)
        if _finish(comment):
            return comment
    return ""


def _strip_share(text: str) -> str:
    return _SHARE.sub(" ", text)


def _strip_hashtags(text: str) -> str:
    return _ENGLISH_TAG.sub(" ", _WEIBO_TAG.sub(" ", text))


def _strip_mentions(text: str) -> str:
    return _MENTION.sub(" ", text)


def _strip_punctuation(text: str) -> str:
    return _NOT_LETTER_OR_DIGIT.sub("", text)


def _to_simplified(text: str) -> str:
    # t2s is not quite idempotent (薴 → 苧 → 苎): convert until stable.
    for _ in range(3):
        converted = _T2S.convert(text)
        if converted == text:
            break
        text = converted
    return text


def _strip_placeholders(text: str) -> str:
    while True:
        stripped = _PLACEHOLDER.sub("", text)
        if stripped == text:
            break
        text = stripped
    return "" if text in _WHOLE_TEXT_PLACEHOLDERS else text


_RULES = (
    _to_halfwidth,
    _to_lowercase,
    _strip_links,
    _strip_emoji_codes,
    _strip_repost_chain,
    _strip_share,
    _strip_hashtags,
    _strip_mentions,
    _strip_punctuation,
    _to_simplified,
    _strip_placeholders,
)
_AFTER_CHAIN = _RULES[_RULES.index(_strip_repost_chain) + 1 :]


def _finish(text: str) -> str:
    """The rules after the repost chain: what a chain comment would normalise to."""
    for rule in _AFTER_CHAIN:
        text = rule(text)
    return text


def normalise(text: str) -> str:
    """The text reduced for same-rumour matching: see the module docstring for the rules."""
    if not text:
        return ""
    for rule in _RULES:
        text = rule(text)
    return text


def tokens_for_matching(text: str, n: int = 3) -> list[str]:
    """Character n-grams (trigrams by default) of the normalised text, in order, repeats kept.

    Texts too short for n-grams fall back to bigrams, and a text of one character (or fewer
    than two when n is 2) to itself as the only token; an empty text gives no tokens.
    """
    norm = normalise(text)
    if len(norm) < n:
        n = 2
    if len(norm) < n:
        return [norm] if norm else []
    return [norm[i : i + n] for i in range(len(norm) - n + 1)]
