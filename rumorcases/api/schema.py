"""How the OpenAPI schema describes what the code cannot say by itself: the bearer token,
every error answer, response headers, paging, the links between answers and the endpoints
they lead to, and that no body takes fields it does not list."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from rumorcases.api.serializers import ErrorSerializer


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "rumorcases.api.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "rcp_<key id>_<secret>",
            "description": "A platform token, created by the office and shown once. Each endpoint needs one "
                           "scope: reports:write, reports:read, orders:read or orders:write.",
        }


# Every error code, by status, and what it means: the schema's error responses, and the guide's table.
ERROR_CODES = {
    400: {"parse_error": "The body is not valid UTF-8 JSON."},
    401: {"not_authenticated": "No bearer token was sent.",
          "authentication_failed": "The token is unknown, expired or revoked, or its platform is deactivated."},
    403: {"insufficient_scope": "The token lacks the scope this endpoint needs."},
    404: {"not_found": "No such object among yours (another platform's is not yours either)."},
    409: {"conflict": "A report with this external_id was submitted before with different content.",
          "transition_not_allowed": "The order is not in a state that allows this.",
          "changed_meanwhile": "The order changed while the request ran; read it again."},
    413: {"too_large": "The body is over this endpoint's size limit.",
          "batch_too_large": "More than 1,000 reports in one batch."},
    415: {"unsupported_media_type": "The body is not sent as Content-Type: application/json."},
    422: {"invalid": "Some fields are not valid: `fields` says which and why."},
    429: {"throttled": "Too many requests for this token; wait Retry-After seconds."},
}


RESPONSE_HEADERS = {
    "401": {"WWW-Authenticate": {
        "description": 'Bearer realm="rumorcases", with error="invalid_token" when a token was refused.',
        "required": True, "schema": {"type": "string"}}},
    "403": {"WWW-Authenticate": {
        "description": 'Bearer realm="rumorcases", error="insufficient_scope", scope="<the scope needed>".',
        "required": True, "schema": {"type": "string"}}},
    "429": {"Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True, "schema": {"type": "integer", "minimum": 1}}},
}


def errors(*statuses: int, only: tuple[str, ...] = ()) -> dict[int, OpenApiResponse]:
    """The error answers of an endpoint, each in the one JSON error shape, with an example of
    each code it can carry (`only`: just these codes, where a status means less here)."""
    responses = {}
    for status in statuses:
        codes = {code: text for code, text in ERROR_CODES[status].items() if not only or code in only}
        responses[status] = OpenApiResponse(
            ErrorSerializer, description=" ".join(f"`{code}`: {text}" for code, text in codes.items()),
            examples=[OpenApiExample(f"{status} {code}", status_codes=[status], response_only=True,
                                     value={"code": code, "message": text, "fields": {}})
                      for code, text in codes.items()],
        )
    return responses


def ok(serializer, description: str) -> OpenApiResponse:
    return OpenApiResponse(serializer, description=description)


def page_parameters(pagination) -> list[OpenApiParameter]:
    """The query parameters of a paginated list. drf-spectacular leaves them out of a plain
    APIView's list, and a client must know both (`page_size` is refused out of range)."""
    return [
        OpenApiParameter("cursor", str, description=pagination.cursor_query_description),
        OpenApiParameter("page_size", {"type": "integer", "minimum": 1, "maximum": pagination.max_page_size},
                         description=pagination.page_size_query_description),
    ]


def _link(operation_id: str, description: str, **parameters: str) -> dict:
    return {"operationId": operation_id, "description": description,
            "parameters": {name: f"$response.body#{pointer}" for name, pointer in parameters.items()}}


def _report_links(at: str, *, read: bool = True, find: bool = True) -> dict:
    """Where an answer about a report (at JSON pointer `at` in the body) leads."""
    links = {}
    if read:
        links["GetReport"] = _link("reports_retrieve", "Read the report.", report_id=f"{at}/id")
    links["GetCase"] = _link("cases_retrieve", "Follow the case the report is in.", reference=f"{at}/case/reference")
    if find:
        links["FindReport"] = _link("reports_list", "Find the report by your own id.",
                                    external_id=f"{at}/external_id")
    return links


def _order_links(at: str, *, read: bool = True, acknowledge: bool = True) -> dict:
    """Where an answer about an order (at JSON pointer `at` in the body) leads."""
    links = {}
    if read:
        links["GetOrder"] = _link("orders_retrieve", "Read the order again.", order_id=f"{at}/id")
    if acknowledge:
        links["AcknowledgeOrder"] = _link("orders_acknowledge", "Say you have received it.", order_id=f"{at}/id")
    links["CompleteOrder"] = _link("orders_complete", "Report what you did for each item.", order_id=f"{at}/id")
    links["GetCase"] = _link("cases_retrieve", "Follow the case the order is about.", reference=f"{at}/case/reference")
    links["GetItemReport"] = _link("reports_retrieve", "Read your report of the first item's post.",
                                   report_id=f"{at}/items/0/report/id")
    return links


# (operationId, status) -> the OpenAPI links of that answer: which of its values another endpoint
# takes. The first entry of a list stands for any entry.
LINKS = {
    ("reports_submit", "201"): _report_links(""),
    ("reports_submit", "200"): _report_links(""),
    ("reports_submit_batch", "200"): _report_links("/results/0"),
    ("reports_list", "200"): _report_links("/results/0", find=False),
    ("reports_retrieve", "200"): _report_links("", read=False),
    ("orders_list", "200"): _order_links("/results/0"),
    ("orders_retrieve", "200"): _order_links("", read=False),
    ("orders_acknowledge", "200"): _order_links("", acknowledge=False),
    ("orders_complete", "200"): {"GetOrder": _link("orders_retrieve", "Read the order again.", order_id="/id")},
}


def postprocess(result, generator, request, public):
    """Postprocessing hook.

    Every object component lists all its fields, so `additionalProperties` is false: request
    bodies with an unknown field are refused (422), responses never carry a field the schema
    does not name. The headers that come with 401, 403 and 429 are described, and the links
    from each answer to the endpoints that take its ids.
    """
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if status in RESPONSE_HEADERS:
                    response["headers"] = RESPONSE_HEADERS[status]
                if (operation.get("operationId"), status) in LINKS:
                    response["links"] = LINKS[operation["operationId"], status]
    for component in result.get("components", {}).get("schemas", {}).values():
        if component.get("type") == "object" and "properties" in component:
            component.setdefault("additionalProperties", False)
    return result
