"""The public site (no sign-in). The notice page itself is `notices:notice_public`
(rumorcases/notices/urls.py), served by `views.notice_page` here."""

from django.contrib.sitemaps.views import sitemap
from django.urls import path
from django.views.decorators.http import require_safe

from rumorcases.public import feeds, views
from rumorcases.public.cache import cached_public_page
from rumorcases.public.sitemaps import SITEMAPS

app_name = "public"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("bulletins/", views.bulletin_list, name="bulletin_list"),
    path("bulletins/<int:year>/<int:issue>/", views.bulletin_page, name="bulletin"),
    path("bulletins/<int:year>/<int:issue>/accounts/", views.bulletin_accounts, name="bulletin_accounts"),
    path("feeds/notices.atom",
         require_safe(cached_public_page(views.notices_stamp, name="notice_feed")(feeds.NoticeFeed())),
         name="notice_feed"),
    path("feeds/bulletins.atom",
         require_safe(cached_public_page(views.bulletins_stamp, name="bulletin_feed")(feeds.BulletinFeed())),
         name="bulletin_feed"),
    path("sitemap.xml",
         require_safe(cached_public_page(views.lists_stamp, name="sitemap")(sitemap)),
         {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots"),
]
