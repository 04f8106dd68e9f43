"""The rendered PDFs, read-only: they are made by the tasks (or `manage.py render_documents`)."""

from django.contrib import admin

from rumorcases.core.admin import ReadOnlyAdmin
from rumorcases.documents.models import Document


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "notice", "bulletin", "content_sha256", "pages", "size", "render_seconds"]
    list_filter = ["kind"]
    search_fields = ["content_sha256", "pdf_sha256", "notice__document_number", "bulletin__title"]
    list_select_related = ["notice__current_version", "bulletin"]
    readonly_fields = ["kind", "notice", "notice_version", "bulletin", "content_sha256", "file", "pdf_sha256",
                       "size", "pages", "render_seconds", "created_at", "rendered_at"]
    fields = readonly_fields
