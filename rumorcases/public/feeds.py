"""Atom feeds of the published notices and bulletins."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from rumorcases.bulletins import selectors as bulletin_selectors
from rumorcases.notices import selectors as notice_selectors

FEED_ITEMS = 30


class NoticeFeed(Feed):
    feed_type = Atom1Feed

    def title(self):
        return _("Debunk notices · %(office)s") % {"office": notice_selectors.office_name()}

    def subtitle(self):
        return _("Rumours the office has checked, and the facts.")

    def link(self):
        return reverse("public:home")

    def feed_url(self):
        return reverse("public:notice_feed")

    def author_name(self):
        return notice_selectors.office_name()

    def items(self):
        return notice_selectors.notice_public_list()[:FEED_ITEMS]

    def item_title(self, notice):
        return notice.current_version.title

    def item_description(self, notice):
        version = notice.current_version
        return f"{version.get_verdict_display()}: {version.claim}\n\n{version.body}"

    def item_link(self, notice):
        return notice_selectors.notice_public_path(notice)

    def item_pubdate(self, notice):
        return notice.published_at

    def item_updateddate(self, notice):
        version = notice.current_version
        return max(notice.published_at, version.created_at)


class BulletinFeed(Feed):
    feed_type = Atom1Feed

    def title(self):
        return _("Exposure bulletins · %(office)s") % {"office": notice_selectors.office_name()}

    def subtitle(self):
        return _("Typical rumour cases and the accounts acted on.")

    def link(self):
        return reverse("public:bulletin_list")

    def feed_url(self):
        return reverse("public:bulletin_feed")

    def author_name(self):
        return notice_selectors.office_name()

    def items(self):
        return bulletin_selectors.bulletin_public_list()[:FEED_ITEMS]

    def item_title(self, bulletin):
        return str(bulletin)

    def item_description(self, bulletin):
        return bulletin.introduction

    def item_link(self, bulletin):
        return reverse("public:bulletin", kwargs={"year": bulletin.year, "issue": bulletin.issue_number})

    def item_pubdate(self, bulletin):
        return bulletin.published_at
