"""The sitemap: the home page, the bulletin list, every published notice and bulletin."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from rumorcases.bulletins import selectors as bulletin_selectors
from rumorcases.notices import selectors as notice_selectors


class PageSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return ["public:home", "public:bulletin_list"]

    def location(self, name):
        return reverse(name)


class NoticeSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return notice_selectors.notice_public_list()

    def location(self, notice):
        return notice_selectors.notice_public_path(notice)

    def lastmod(self, notice):
        return max(notice.published_at, notice.current_version.created_at)


class BulletinSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return bulletin_selectors.bulletin_public_list()

    def location(self, bulletin):
        return reverse("public:bulletin", kwargs={"year": bulletin.year, "issue": bulletin.issue_number})

    def lastmod(self, bulletin):
        return bulletin.published_at


SITEMAPS = {"pages": PageSitemap, "notices": NoticeSitemap, "bulletins": BulletinSitemap}
