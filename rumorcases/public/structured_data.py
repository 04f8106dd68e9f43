"""schema.org ClaimReview for a debunk notice, as search engines and fact-check aggregators read it."""

from django.conf import settings
from django.utils import translation

from rumorcases.cases.choices import Verdict

# The office's scale: 1 is false, 2 misleading (the scale's top, 5, would be true).
RATING = {Verdict.FALSE: 1, Verdict.MISLEADING: 2}
BEST_RATING, WORST_RATING = 5, 1


def claim_review(*, notice, version, url: str, office_url: str, first_appearance: dict | None) -> dict:
    """The ClaimReview of the notice's current version. `url` and `office_url` are absolute.
    The claim's first appearance is a URL and a date only: never who posted it."""
    office = {"@type": "Organization", "name": settings.OFFICE_NAME, "alternateName": settings.OFFICE_NAME_EN,
              "url": office_url}
    with translation.override(settings.LANGUAGE_CODE):
        verdict_label = str(version.get_verdict_display())
    claim = {"@type": "Claim"}
    if first_appearance:
        appearance = {"@type": "CreativeWork", "url": first_appearance["url"]}
        if first_appearance.get("posted_at"):
            appearance["datePublished"] = first_appearance["posted_at"].isoformat()
            claim["datePublished"] = appearance["datePublished"]
        claim["firstAppearance"] = appearance
        claim["appearance"] = [appearance]
    data = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "name": version.title,
        "claimReviewed": version.claim,
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": RATING.get(version.verdict, WORST_RATING),
            "bestRating": BEST_RATING,
            "worstRating": WORST_RATING,
            "alternateName": verdict_label,
        },
        "itemReviewed": claim,
        "author": office,
        "publisher": office,
        "datePublished": notice.published_at.isoformat() if notice.published_at else None,
        "inLanguage": "zh-Hans",
    }
    if notice.published_at and version.created_at and version.created_at > notice.published_at:
        data["dateModified"] = version.created_at.isoformat()
    if notice.document_number:
        data["identifier"] = notice.document_number
    return {k: v for k, v in data.items() if v is not None}
