"""The SHA-256 printed on a bulletin, computed from its published content alone.

A notice has its own (`NoticeVersion.compute_sha256`); a bulletin is hashed here the same way:
canonical JSON (sorted keys, no spaces, UTF-8, not ASCII-escaped) of what the public reads.
Pure functions: the same content always gives the same hash, on any machine.
"""

import hashlib
import json

BULLETIN_FIELDS = ("year", "issue_number", "title", "title_en", "period_start", "period_end", "introduction")
ENTRY_FIELDS = ("headline", "rumour_summary", "finding_summary", "measures_summary")


def canonical_sha256(payload) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def bulletin_content_payload(bulletin, entries) -> dict:
    """What the public reads of a bulletin, as plain values. `entries` in published order."""
    payload = {}
    for name in BULLETIN_FIELDS:
        value = getattr(bulletin, name)
        payload[name] = value.isoformat() if hasattr(value, "isoformat") else value
    payload["entries"] = [{name: getattr(entry, name) for name in ENTRY_FIELDS} for entry in entries]
    return payload


def bulletin_content_sha256(bulletin, entries) -> str:
    """The hash printed in the bulletin PDF's footer (case references and staff are not in it)."""
    return canonical_sha256(bulletin_content_payload(bulletin, entries))
