"""The platform API (v1): interfaces only. Each view parses, calls one service or selector, renders.

Every answer about an object the calling platform may not see is 404, exactly as for one
that does not exist.
"""

from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import server_error as html_server_error
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from rumorcases.api import serializers as s
from rumorcases.api.pagination import OrderPagination, ReportPagination
from rumorcases.api.schema import errors, ok, page_parameters
from rumorcases.cases import selectors as case_selectors
from rumorcases.cases.intake import MAX_BATCH, report_ingest_batch
from rumorcases.cases.services import report_ingest
from rumorcases.core.exceptions import INVALID, ApplicationError, flatten_field_errors
from rumorcases.disposal import selectors as disposal_selectors
from rumorcases.disposal.services import order_acknowledge, order_complete
from rumorcases.notices.selectors import notice_public_path, notice_published_for_case
from rumorcases.platforms.models import ApiScope

REPORTS = "reports"
CASES = "cases"
ORDERS = "orders"


class BatchTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "batch_too_large"
    default_detail = _lazy("Too many reports in one batch; split it.")


class PlatformAPIView(APIView):
    """Base of every v1 endpoint: bearer token, scopes per method, JSON only, no OPTIONS."""

    required_scopes: dict[str, str] = {}
    metadata_class = None  # OPTIONS answers 405

    @property
    def platform(self):
        return self.request.auth.platform

    def validated(self, serializer_class, data, **kwargs):
        serializer = serializer_class(data=data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer


REPORT_EXAMPLE = {
    "external_id": "5012345678901234",
    "content": "网传某区自来水厂被污染，请大家这两天不要喝自来水！",
    "posted_at": "2026-05-01T08:30:00+08:00",
    "url": "https://weibo.example/5012345678901234",
    "title": "",
    "content_type": "text",
    "language": "zh-CN",
    "author": {"account_id": "7788990011", "handle": "@某某生活圈", "display_name": "某某生活圈",
               "account_type": "self_media", "followers": 120000, "verified": False},
    "metrics": {"views": 52000, "reposts": 830, "comments": 210, "likes": 1500},
    "category": "rumour",
    "reason": "多名用户举报，与区水务局通报不符",
    "source": "user_report",
    "evidence_urls": ["https://weibo.example/capture/5012345678901234.png"],
}


def _submitted(result) -> dict:
    return {"id": result.report.pk, "external_id": result.report.external_id, "outcome": result.outcome,
            "case": result.case}


# --- reports -------------------------------------------------------------------------


class ReportListView(PlatformAPIView):
    """Your reports: list them, or submit one."""

    required_scopes = {"GET": ApiScope.REPORTS_READ, "POST": ApiScope.REPORTS_WRITE}
    pagination_class = ReportPagination

    @extend_schema(
        operation_id="reports_list", tags=[REPORTS],
        summary="Your reports, newest first",
        parameters=[
            OpenApiParameter("external_id", str, pattern=s.EXTERNAL_ID_PATTERN,
                             description="Only the report with this external_id."),
            OpenApiParameter("since", OpenApiTypes.DATETIME,
                             description="Only reports received or changed at or after this moment "
                                         "(ISO 8601 with a UTC offset)."),
            *page_parameters(ReportPagination),
        ],
        responses={200: ok(s.ReportSerializer(many=True), "A page of reports."),
                   **errors(401, 403, 422, 429)},
    )
    def get(self, request):
        filters = self.validated(s.ReportFilterSerializer, request.query_params).validated_data
        reports = case_selectors.report_list_for_platform(self.platform, **filters)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(reports, request, view=self)
        return paginator.get_paginated_response(s.ReportSerializer(page, many=True).data)

    @extend_schema(
        operation_id="reports_submit", tags=[REPORTS],
        summary="Submit one report",
        description="Idempotent on `external_id`: the same report again answers 200 `existing` (or `updated` "
                    "when the spread figures changed); different content under a known `external_id` is 409.",
        request=s.ReportSubmissionSerializer,
        examples=[OpenApiExample("A report", value=REPORT_EXAMPLE, request_only=True)],
        responses={201: ok(s.ReportOutcomeSerializer, "Created: a new report, in a new or an existing case."),
                   200: ok(s.ReportOutcomeSerializer, "Known already: `existing` or `updated`."),
                   **errors(400, 401, 403, 415, 422, 429),
                   **errors(409, only=("conflict",)), **errors(413, only=("too_large",))},
    )
    def post(self, request):
        data = self.validated(s.ReportSubmissionSerializer, request.data).report_input()
        result = report_ingest(platform=self.platform, data=data)
        code = status.HTTP_201_CREATED if result.outcome == "created" else status.HTTP_200_OK
        return Response(s.ReportOutcomeSerializer(_submitted(result)).data, status=code)


class ReportBatchView(PlatformAPIView):
    """Up to 1,000 reports in one request, each answered on its own."""

    required_scopes = {"POST": ApiScope.REPORTS_WRITE}
    max_body_setting = "API_BATCH_MAX_BODY_BYTES"

    @extend_schema(
        operation_id="reports_submit_batch", tags=[REPORTS],
        summary="Submit up to 1,000 reports",
        description="Each report is answered on its own, in the order sent, as the single endpoint would "
                    "answer it; one bad report never sinks the others. The answer is 200 whatever the outcomes.",
        request=s.ReportBatchSerializer,
        examples=[OpenApiExample("Two reports", request_only=True, value={"reports": [
            REPORT_EXAMPLE,
            {"external_id": "5012345678901299", "content": "转发：某区自来水厂被污染，千万别喝自来水",
             "posted_at": "2026-05-01T09:02:00+08:00", "author": {"account_id": "1122334455"}},
        ]})],
        responses={200: ok(s.BatchResponseSerializer, "One result per report, and the counts."),
                   **errors(400, 401, 403, 413, 415, 422, 429)},
    )
    def post(self, request):
        reports = s.batch_reports(request.data)
        if len(reports) > MAX_BATCH:
            raise BatchTooLarge(_("A batch holds at most %(max)s reports; split it.") % {"max": MAX_BATCH})
        items = []
        # One serializer for the whole batch: building one per report copies its fields each time,
        # which cost more than validating, matching and storing the report.
        serializer = s.ReportSubmissionSerializer()
        for raw in reports:
            try:
                data = serializer.run_validation(raw)
            except exceptions.ValidationError as error:
                detail = error.detail if isinstance(error.detail, dict) else {"non_field_errors": error.detail}
                items.append(ApplicationError(INVALID, _("Some fields are not valid."),
                                              fields=flatten_field_errors(detail)))
            else:
                items.append(s.report_input_from(data))
        results = report_ingest_batch(platform=self.platform, items=items)
        return Response(s.BatchResponseSerializer(_batch_answer(reports, results)).data)


def _batch_answer(reports: list, results) -> dict:
    """Each result as the batch answers it, and the counts by outcome."""
    answers = []
    counts = {outcome: 0 for outcome, _label in s.BATCH_OUTCOMES}
    for result in results:
        counts[result.outcome] += 1
        raw = reports[result.index]
        sent_id = raw.get("external_id") if isinstance(raw, dict) else None
        failed = result.report is None
        answers.append({
            "index": result.index,
            "external_id": sent_id if isinstance(sent_id, str) else None,
            "outcome": result.outcome,
            "id": None if failed else result.report.pk,
            "case": None if failed else result.case,
            "message": result.message if failed else None,
            "fields": result.errors if failed else {},
        })
    return {"results": answers, "counts": counts}


class ReportDetailView(PlatformAPIView):
    """One of your reports, with the case it belongs to."""

    required_scopes = {"GET": ApiScope.REPORTS_READ}

    @extend_schema(operation_id="reports_retrieve", tags=[REPORTS], summary="One of your reports",
                   responses={200: ok(s.ReportSerializer, "The report."), **errors(401, 403, 404, 429)})
    def get(self, request, report_id: int):
        report = case_selectors.report_get_for_platform(self.platform, report_id=report_id)
        return Response(s.ReportSerializer(report).data)


# --- cases ---------------------------------------------------------------------------


class CaseDetailView(PlatformAPIView):
    """Where a case stands, and the public debunk notice once there is one."""

    required_scopes = {"GET": ApiScope.REPORTS_READ}

    @extend_schema(
        operation_id="cases_retrieve", tags=[CASES], summary="A case you reported into or received an order on",
        parameters=[OpenApiParameter("reference", str, OpenApiParameter.PATH, pattern=r"^RC-[0-9]{4}-[0-9]{1,12}$",
                                     description="e.g. RC-2026-000123")],
        responses={200: ok(s.CaseSerializer, "Where the case stands."), **errors(401, 403, 404, 429)},
    )
    def get(self, request, reference: str):
        case = case_selectors.case_get_for_platform(self.platform, reference=reference)
        notice = notice_published_for_case(case)
        return Response(s.CaseSerializer({
            "reference": case.reference, "status": case.status, "resolution": case.resolution or None,
            "notice_url": notice_public_path(notice) if notice is not None else None,
        }).data)


# --- orders --------------------------------------------------------------------------


class OrderListView(PlatformAPIView):
    """The disposal orders addressed to you."""

    required_scopes = {"GET": ApiScope.ORDERS_READ}
    pagination_class = OrderPagination

    @extend_schema(
        operation_id="orders_list", tags=[ORDERS], summary="Your orders, soonest due first",
        parameters=[
            OpenApiParameter("status", str, enum=s.ORDER_STATUS_FILTERS,
                             description="`open`: issued, acknowledged or overdue — the ones still to answer."),
            *page_parameters(OrderPagination),
        ],
        responses={200: ok(s.OrderSerializer(many=True), "A page of orders."),
                   **errors(401, 403, 422, 429)},
    )
    def get(self, request):
        filters = self.validated(s.OrderFilterSerializer, request.query_params).validated_data
        orders = disposal_selectors.orders_for_platform(self.platform, status=filters.get("status"))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(orders, request, view=self)
        return paginator.get_paginated_response(s.OrderSerializer(page, many=True).data)


class OrderDetailView(PlatformAPIView):
    """One order: what to do, to which posts and accounts, by when."""

    required_scopes = {"GET": ApiScope.ORDERS_READ}

    @extend_schema(operation_id="orders_retrieve", tags=[ORDERS], summary="One of your orders",
                   responses={200: ok(s.OrderSerializer, "The order."), **errors(401, 403, 404, 429)})
    def get(self, request, order_id: int):
        order = disposal_selectors.order_get_for_platform(self.platform, order_id=order_id)
        return Response(s.OrderSerializer(order).data)


class OrderAcknowledgeView(PlatformAPIView):
    """Say you have received an order."""

    required_scopes = {"POST": ApiScope.ORDERS_WRITE}

    @extend_schema(
        operation_id="orders_acknowledge", tags=[ORDERS], summary="Say you have received an order",
        description="From `issued` or `overdue`. No body is needed; any body is ignored.",
        request=None,
        responses={200: ok(s.OrderSerializer, "Acknowledged."), **errors(401, 403, 404, 429),
                   **errors(409, only=("transition_not_allowed", "changed_meanwhile"))},
    )
    def post(self, request, order_id: int):
        order = disposal_selectors.order_get_for_platform(self.platform, order_id=order_id)
        order_acknowledge(order=order, platform=self.platform)
        # Read again: the items prefetched above are from before the change.
        return Response(s.OrderSerializer(disposal_selectors.order_get_for_platform(
            self.platform, order_id=order_id)).data)


class OrderCompleteView(PlatformAPIView):
    """Report what was done for each item of an order."""

    required_scopes = {"POST": ApiScope.ORDERS_WRITE}

    @extend_schema(
        operation_id="orders_complete", tags=[ORDERS], summary="Report what you did for each item",
        description="Every item needs exactly one answer. All executed: the order is `completed`. Any item "
                    "not executed: the order is `rejected`, and the office waives it or issues a new one.",
        request=s.OrderCompletionSerializer,
        examples=[OpenApiExample("Every item done", request_only=True, value={"results": [
            {"item": 101, "executed": True, "at": "2026-05-02T10:15:00+08:00", "note": "原帖已删除"},
            {"item": 102, "executed": True, "at": "2026-05-02T10:20:00+08:00", "note": "账号禁言30天"},
        ]})],
        responses={200: ok(s.OrderSerializer, "Completed or rejected."),
                   **errors(400, 401, 403, 404, 415, 422, 429), **errors(413, only=("too_large",)),
                   **errors(409, only=("transition_not_allowed", "changed_meanwhile"))},
    )
    def post(self, request, order_id: int):
        order = disposal_selectors.order_get_for_platform(self.platform, order_id=order_id)
        results = self.validated(s.OrderCompletionSerializer, request.data).service_results()
        order_complete(order=order, results=results, platform=self.platform)
        # Read again: the items prefetched above are from before the change.
        return Response(s.OrderSerializer(disposal_selectors.order_get_for_platform(
            self.platform, order_id=order_id)).data)


# --- what is not an endpoint ------------------------------------------------------------


def _error(code: str, message: str, http_status: int) -> JsonResponse:
    return JsonResponse({"code": code, "message": str(message), "fields": {}}, status=http_status,
                        json_dumps_params={"ensure_ascii": False})


@csrf_exempt  # a POST to a wrong path is the API's 404, not the CSRF failure page
def api_not_found(request, *args, **kwargs):
    """Any path under /api/ that is no endpoint: the API's 404, never an HTML page or a redirect."""
    message = _("Not found.")
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            message = _("Not found. Did you mean %(path)s ?") % {"path": request.path + "/"}
    return _error("not_found", message, 404)


def server_error(request, *args, **kwargs):
    """handler500: the API's JSON shape under /api/, the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return _error("server_error", _("Something went wrong on our side; the request may be retried."), 500)
    return html_server_error(request, *args, **kwargs)

