"""Staff pages: the dashboard, and each chart's numbers as CSV. Every role reads them."""

import csv

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from rumorcases.staff.access import staff_view
from rumorcases.staff.dashboard import dashboard_chart, dashboard_for_user

# Spreadsheet programs run a cell starting with one of these as a formula; names and handles
# come from the internet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@staff_view
def dashboard(request):
    page = dashboard_for_user(request.user)
    return render(request, "staff/dashboard/index.html", {"title": _("Dashboard"), "page": page})


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@staff_view
def dashboard_csv(request, name: str):
    chart = dashboard_chart(request.user, name)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"rumorcases-{chart.key}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # the BOM: Excel then reads the file as UTF-8, Chinese included
    writer = csv.writer(response)
    writer.writerow(chart.columns)
    writer.writerows([_csv_cell(cell) for cell in row] for row in chart.rows)
    return response


urlpatterns = [
    path("dashboard/", dashboard, name="dashboard"),
    path("dashboard/<str:name>.csv", dashboard_csv, name="dashboard_csv"),
]
