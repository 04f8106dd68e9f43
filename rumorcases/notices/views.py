"""The public notice page: only what the office published, nothing personal, everything escaped."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from rumorcases.notices import selectors
from rumorcases.notices.choices import NoticeStatus


@require_safe
def notice_public(request, public_id):
    notice = selectors.notice_get_public(public_id=public_id)
    if notice.status == NoticeStatus.WITHDRAWN:
        # Gone on purpose: the public reads why instead.
        return render(request, "public/notice_withdrawn.html",
                      {"notice": notice, "office_name": selectors.office_name()}, status=410)
    context = {
        "notice": notice,
        "version": notice.current_version,
        "corrections": selectors.notice_public_corrections(notice),
        "office_name": selectors.office_name(),
    }
    return render(request, "public/notice.html", context)
