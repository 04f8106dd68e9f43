"""The Content-Security-Policy header: settings.CONTENT_SECURITY_POLICY, strict, for every page but
the API's documentation.

drf-spectacular's Swagger UI page starts Swagger with an inline script, and Swagger UI and ReDoc
both write inline styles: on those two pages (public, no session data, our own static files) the
policy also allows inline script and style. The admin (Django's own change list, and our case
workflow panel in templates/admin/) has inline `<style>` blocks: there inline style is allowed,
never inline script. Everything else keeps the strict policy.
"""

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts

# View names (rumorcases/api/urls.py) whose pages need the relaxed policy.
API_DOCS_VIEWS = frozenset({"api:docs", "api:redoc"})
API_DOCS_POLICY = {"script-src": [SELF, UNSAFE_INLINE], "style-src": [SELF, UNSAFE_INLINE]}
ADMIN_POLICY = {"style-src": [SELF, UNSAFE_INLINE]}


class CSPMiddleware(BaseCSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        match = getattr(request, "resolver_match", None)
        if match is None or parts.replace is not None:
            return parts
        if match.view_name in API_DOCS_VIEWS:
            parts.replace = API_DOCS_POLICY
        elif match.namespace == "admin":
            parts.replace = ADMIN_POLICY
        return parts
