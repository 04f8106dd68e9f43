"""The platform API: /api/v1/ (bearer token), the schema and its documentation (public)."""

from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from rumorcases.api import views


class IdConverter:
    """A database id: 1 to 18 digits, so no id in a path can overflow a bigint column."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


class CaseReferenceConverter:
    regex = "RC-[0-9]{4}-[0-9]{1,12}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(IdConverter, "id")
register_converter(CaseReferenceConverter, "case_ref")

app_name = "api"
urlpatterns = [
    path("v1/reports/", views.ReportListView.as_view(), name="reports"),
    path("v1/reports/batch/", views.ReportBatchView.as_view(), name="reports-batch"),
    path("v1/reports/<id:report_id>/", views.ReportDetailView.as_view(), name="report"),
    path("v1/cases/<case_ref:reference>/", views.CaseDetailView.as_view(), name="case"),
    path("v1/orders/", views.OrderListView.as_view(), name="orders"),
    path("v1/orders/<id:order_id>/", views.OrderDetailView.as_view(), name="order"),
    path("v1/orders/<id:order_id>/acknowledge/", views.OrderAcknowledgeView.as_view(), name="order-acknowledge"),
    path("v1/orders/<id:order_id>/complete/", views.OrderCompleteView.as_view(), name="order-complete"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html"),
         name="redoc"),
    # Anything else under /api/ is the API's JSON 404, not an HTML page or a slash redirect.
    re_path(r"^", views.api_not_found),  # matches any rest of the path, newlines included
]
