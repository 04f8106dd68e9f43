"""How the OpenAPI schema describes what the code cannot say by itself: the bearer token,
every error answer, response headers, and that no body takes fields it does not list."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse

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


def postprocess(result, generator, request, public):
    """Postprocessing hook.

    Every object component lists all its fields, so `additionalProperties` is false: request
    bodies with an unknown field are refused (422), responses never carry a field the schema
    does not name. And the headers that come with 401, 403 and 429 are described.
    """
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if status in RESPONSE_HEADERS:
                    response["headers"] = RESPONSE_HEADERS[status]
    for component in result.get("components", {}).get("schemas", {}).values():
        if component.get("type") == "object" and "properties" in component:
            component.setdefault("additionalProperties", False)
    return result
