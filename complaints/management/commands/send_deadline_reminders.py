"""Email users and assigned reviewers about deadlines, each reminder once.

Meant for cron, once a day (for example `15 8 * * *`):

    python manage.py send_deadline_reminders

For each open filing whose body must answer within the next few days (due
soon) or had to answer before today (overdue), and for each case whose
limitation period is in its last 90 days, the owner and the assignee get
one email. A `Reminder` row is written before each email (unique per case,
recipient and deadline), so a second run, or two runs at once, send nothing
twice; a failed email removes its row so the next run tries again. A moved
deadline (an answer recorded, a channel's clock edited) is a new deadline and
gets its own reminder. The stored due dates are recomputed first, so a newer
holiday calendar takes effect.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone

from complaints import clocks, notifications, services
from complaints.models import Complaint, Filing, Reminder, Status

CLOSED = (Status.CLOSED, Status.WITHDRAWN, Status.REJECTED, Status.DRAFT)


class Command(BaseCommand):
    help = "Email deadline reminders (due soon, overdue, limitation), each once."

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            help="Run as if today were this date (YYYY-MM-DD); default: today.",
        )
        parser.add_argument(
            "--days-before",
            type=int,
            default=settings.REMINDER_DAYS_BEFORE,
            help="Remind this many days before an answer is due (default %(default)s).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Say what would be sent; send and record nothing.",
        )

    def handle(self, *args, **options):
        if options["today"]:
            try:
                today = datetime.date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError("--today must be a date like 2026-11-26") from None
        else:
            today = timezone.localdate()
        if options["days_before"] < 0:
            raise CommandError("--days-before must not be negative")
        self.dry_run = options["dry_run"]
        self.counts = {"sent": 0, "already": 0, "failed": 0, "no_email": 0}

        refreshed = self._refresh_due_dates()
        self._filings(today, options["days_before"])
        self._limitations(today)
        self.stdout.write(
            "reminders: {sent} sent, {already} already sent, {failed} failed, "
            "{no_email} recipients without email; due dates updated: {refreshed}".format(
                refreshed=refreshed, **self.counts
            )
        )

    # -- due dates --------------------------------------------------------------

    def _refresh_due_dates(self) -> int:
        changed = 0
        open_filings = (
            Filing.objects.exclude(outcome__in=Filing.FINAL_OUTCOMES)
            .exclude(complaint__status__in=CLOSED)
            .select_related("channel")
        )
        for filing in open_filings.iterator(chunk_size=500):
            if not self.dry_run:
                changed += services.filing_refresh_due(filing)
        return changed

    # -- filings ----------------------------------------------------------------

    def _filings(self, today: datetime.date, days_before: int) -> None:
        soon = today + datetime.timedelta(days=days_before)
        due = (
            Filing.objects.filter(due_on__isnull=False, due_on__lte=soon)
            .exclude(outcome__in=Filing.FINAL_OUTCOMES)
            .exclude(complaint__status__in=CLOSED)
            .select_related("channel", "complaint__owner", "complaint__assignee")
            .order_by("due_on", "pk")
        )
        for filing in due.iterator(chunk_size=500):
            kind = (
                Reminder.Kind.OVERDUE
                if filing.due_on < today
                else Reminder.Kind.DUE_SOON
            )
            self._remind(
                filing.complaint,
                kind,
                filing.due_on,
                key=f"filing:{filing.pk}:{kind}:{filing.due_on.isoformat()}",
                filing=filing,
                body=filing.channel.display_name,
            )

    # -- limitation -------------------------------------------------------------

    def _limitations(self, today: datetime.date) -> None:
        # A period ends 3 years after the day of knowledge at the earliest
        # (a written demand only moves it later), plus a few rest days.
        earliest_known = clocks.add_years(today, -clocks.LIMITATION_YEARS)
        latest_known = earliest_known + datetime.timedelta(
            days=clocks.LIMITATION_WARNING_DAYS + 15
        )
        candidates = (
            Complaint.objects.filter(harm_known_on__lte=latest_known)
            .exclude(status__in=(*CLOSED, Status.RESOLVED))
            .select_related("owner", "assignee")
            .prefetch_related(
                Prefetch("filings", queryset=Filing.objects.select_related("channel"))
            )
            .order_by("pk")
        )
        for complaint in candidates.iterator(chunk_size=200):
            period = clocks.case_limitation(complaint, complaint.filings.all())
            if period is None or not period.warning(today) or period.expired(today):
                continue
            self._remind(
                complaint,
                Reminder.Kind.LIMITATION,
                period.ends_on,
                key=f"limitation:{period.ends_on.isoformat()}",
                body="",
            )

    # -- sending ----------------------------------------------------------------

    def _remind(self, complaint, kind, due_on, *, key, body, filing=None) -> None:
        recipients = [complaint.owner]
        if complaint.assignee_id and complaint.assignee_id != complaint.owner_id:
            recipients.append(complaint.assignee)
        for recipient in recipients:
            if not notifications.can_email(recipient):
                self.counts["no_email"] += 1
                continue
            if Reminder.objects.filter(
                complaint=complaint, recipient=recipient, key=key
            ).exists():
                self.counts["already"] += 1
                continue
            if self.dry_run:
                self.stdout.write(f"would send {kind} for {complaint.number} ({key})")
                self.counts["sent"] += 1
                continue
            try:
                with transaction.atomic():
                    reminder = Reminder.objects.create(
                        complaint=complaint,
                        filing=filing,
                        kind=kind,
                        due_on=due_on,
                        key=key,
                        recipient=recipient,
                    )
            except IntegrityError:  # another run got there first
                self.counts["already"] += 1
                continue
            if notifications.deadline_reminder(
                recipient, complaint, kind, body=body, due_on=due_on
            ):
                self.counts["sent"] += 1
            else:
                reminder.delete()  # try again on the next run
                self.counts["failed"] += 1
