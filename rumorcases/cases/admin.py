from django.contrib import admin

from rumorcases.cases.models import Case


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["reference", "title", "status", "priority", "stage_deadline"]
