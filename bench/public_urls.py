"""The product's URLs plus the baseline of bench/public_pages.py: a minimal Django view answering
a constant page as large as the notice page (BENCH_CONSTANT_BYTES), through the same middleware."""

import os

from django.http import HttpResponse
from django.urls import include, path

from rumorcases.urls import urlpatterns as product_urlpatterns

_HEAD, _TAIL = b"<!DOCTYPE html><html><head><title>constant</title></head><body><p>", b"</p></body></html>"
_SIZE = int(os.environ.get("BENCH_CONSTANT_BYTES", "10000"))
CONSTANT_PAGE = _HEAD + b"x" * max(0, _SIZE - len(_HEAD) - len(_TAIL)) + _TAIL


def constant_page(request):
    return HttpResponse(CONSTANT_PAGE, content_type="text/html; charset=utf-8")


# At the depth of the notice page's own include, so both pay the same URL resolution.
_at = next(i for i, p in enumerate(product_urlpatterns)
           if getattr(getattr(p, "urlconf_name", None), "__name__", "") == "rumorcases.notices.urls")
urlpatterns = [*product_urlpatterns[:_at], path("", include([path("bench/constant/", constant_page)])),
               *product_urlpatterns[_at:]]
