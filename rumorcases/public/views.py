"""The public site (no sign-in): published material only, nothing personal, everything escaped.

Every page goes through `cached_public_page` (cache.py): its stamp function reads the few
columns that decide whether the cached page is still right, and raises 404 for what the public
may not see.
"""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from rumorcases.bulletins import selectors as bulletin_selectors
from rumorcases.notices import selectors as notice_selectors
from rumorcases.notices.choices import NoticeStatus
from rumorcases.public.cache import cached_public_page
from rumorcases.public.structured_data import claim_review

PER_PAGE = 20
HOME_NOTICES = 8
HOME_BULLETINS = 5
# Staff, admin and API are no business of crawlers; nor are endless search result pages.
ROBOTS_DISALLOW = ["/staff/", "/admin/", "/api/", "/i18n/", "/search/?"]


def _common() -> dict:
    return {"office_name": notice_selectors.office_name()}


# --- stamps: what must change for the page to change ------------------------------------------


def lists_stamp(request, **kwargs):
    notices = notice_selectors.notices_public_stamp()
    bulletins = bulletin_selectors.bulletins_public_stamp()
    return (notices, bulletins), (notices[2], notices[3], notices[4], bulletins[1])


def notices_stamp(request, **kwargs):
    notices = notice_selectors.notices_public_stamp()
    return notices, notices[2:]


def bulletins_stamp(request, **kwargs):
    bulletins = bulletin_selectors.bulletins_public_stamp()
    return bulletins, (bulletins[1],)


def notice_stamp(request, *, public_id):
    row = notice_selectors.notice_public_stamp(public_id=public_id)
    if row is None:
        raise Http404
    return row, row[3:]


def bulletin_stamp(request, *, year, issue):
    row = bulletin_selectors.bulletin_public_stamp(year=year, issue=issue)
    if row is None:
        raise Http404
    return row, (row[1],)


def constant_stamp(request, **kwargs):
    return (), ()


# --- pages ---------------------------------------------------------------------------------------


@require_safe
@cached_public_page(lists_stamp, name="home")
def home(request):
    context = {
        **_common(),
        "notices": list(notice_selectors.notice_public_list()[:HOME_NOTICES]),
        "bulletins": list(bulletin_selectors.bulletin_public_list()[:HOME_BULLETINS]),
    }
    return render(request, "public/home.html", context)


@require_safe
@cached_public_page(notices_stamp, name="search", params=("q", "page"))
def search(request):
    query = request.GET.get("q", "").strip()[:notice_selectors.SEARCH_MAX_LENGTH]
    page = Paginator(notice_selectors.notice_public_search(query), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "public/search.html", {**_common(), "query": query, "page": page})


@require_safe
@cached_public_page(notice_stamp, name="notice")
def notice_page(request, public_id):
    notice = notice_selectors.notice_get_public(public_id=public_id)
    if notice.status == NoticeStatus.WITHDRAWN:
        # Gone on purpose: the public reads why instead.
        return render(request, "public/notice_withdrawn.html", {**_common(), "notice": notice}, status=410)
    version = notice.current_version
    path = notice_selectors.notice_public_path(notice)
    structured = claim_review(notice=notice, version=version, url=request.build_absolute_uri(path),
                              office_url=request.build_absolute_uri(reverse("public:home")),
                              first_appearance=notice_selectors.notice_first_appearance(notice))
    context = {
        **_common(),
        "notice": notice,
        "version": version,
        "corrections": notice_selectors.notice_public_corrections(notice),
        "claim_review": structured,
    }
    return render(request, "public/notice.html", context)


@require_safe
@cached_public_page(bulletins_stamp, name="bulletin_list", params=("page",))
def bulletin_list(request):
    page = Paginator(bulletin_selectors.bulletin_public_list(), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "public/bulletin_list.html", {**_common(), "page": page})


@require_safe
@cached_public_page(bulletin_stamp, name="bulletin")
def bulletin_page(request, year, issue):
    bulletin = bulletin_selectors.bulletin_get_public(year=year, issue=issue)
    return render(request, "public/bulletin.html", {**_common(), "bulletin": bulletin})


@require_safe
@cached_public_page(bulletin_stamp, name="bulletin_accounts")
def bulletin_accounts(request, year, issue):
    bulletin = bulletin_selectors.bulletin_get_public(year=year, issue=issue)
    penalties = bulletin_selectors.bulletin_public_accounts(bulletin)
    return render(request, "public/bulletin_accounts.html", {**_common(), "bulletin": bulletin,
                                                              "penalties": penalties})


@require_safe
@cached_public_page(constant_stamp, name="robots")
def robots_txt(request):
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW),
             f"Sitemap: {request.build_absolute_uri(reverse('public:sitemap'))}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
