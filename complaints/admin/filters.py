"""List filters of the admin lists: assignee, evidence, deadlines, letter
language. Each is one indexed condition or an EXISTS, never a count.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..letters import issue
from ..models import (
    Evidence,
    Filing,
)
from . import display


class LetterLanguageFilter(admin.SimpleListFilter):
    """The letter languages from settings (no DISTINCT over the letters)."""

    title = _("language")
    parameter_name = "language"

    def lookups(self, request, model_admin):
        return [
            (code, name)
            for code, name in settings.LANGUAGES
            if code in issue.LETTER_LANGUAGES
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(language=self.value())
        return queryset


class FilingDeadlineFilter(admin.SimpleListFilter):
    """Cases by the deadlines of their filings: an EXISTS on the indexed
    `Filing.due_on` (a semi-join, never a count), so the queue stays fast at
    a million cases."""

    title = _("deadlines")
    parameter_name = "deadlines"

    def lookups(self, request, model_admin):
        return (
            ("overdue", _("Has an overdue filing")),
            ("soon", _("A deadline within 7 days")),
        )

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "overdue":
            due = {"due_on__lt": today}
        elif self.value() == "soon":
            due = {
                "due_on__gte": today,
                "due_on__lte": today + datetime.timedelta(days=display.DUE_SOON_DAYS),
            }
        else:
            return queryset
        return queryset.filter(
            Exists(Filing.objects.filter(complaint=OuterRef("pk"), **due))
        )


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return (("mine", _("Assigned to me")), ("unassigned", _("Unassigned")))

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(assignee=request.user)
        if self.value() == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset


class HasEvidenceFilter(admin.SimpleListFilter):
    title = _("evidence")
    parameter_name = "evidence"

    def lookups(self, request, model_admin):
        return (("yes", _("Has evidence")), ("no", _("No evidence")))

    def queryset(self, request, queryset):
        has = Exists(Evidence.objects.filter(complaint=OuterRef("pk")))
        if self.value() == "yes":
            return queryset.filter(has)
        if self.value() == "no":
            return queryset.filter(~has)
        return queryset


class DeadlineFilter(admin.SimpleListFilter):
    """Filings by where their deadline stands (on the indexed `due_on`)."""

    title = _("deadline")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return (
            ("overdue", _("Overdue")),
            ("soon", _("Due within 7 days")),
            ("answered", _("Answered")),
        )

    def queryset(self, request, queryset):
        today = timezone.localdate()
        value = self.value()
        if value == "overdue":
            return queryset.filter(due_on__lt=today)
        if value == "soon":
            return queryset.filter(
                due_on__gte=today,
                due_on__lte=today + datetime.timedelta(days=display.DUE_SOON_DAYS),
            )
        if value == "answered":
            return queryset.exclude(outcome="")
        return queryset
