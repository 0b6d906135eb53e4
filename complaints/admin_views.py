"""Reviewer pages inside the admin: one workflow move on a case, a message or
internal note, assigning a case to oneself; downloading stored letters, one
or several in a zip, and exporting the letters of selected cases; the form
for recording a filing, where its deadline stands, and the "untimely
bodies" report (who answers late, by body and by institution).

Every write goes through `workflow.transition()` or a service; these views
only bind forms and explain refusals. They are registered by the model
admins' `get_urls()` behind `admin_site.admin_view` (staff login).
"""

from __future__ import annotations

import hashlib
import tempfile
import zipfile
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, DateField, F, Q, When
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from . import channels, services, workflow
from .forms import _AMOUNT_NOISE_RE, AmountField, FilingForm, nfkc
from .letters import context as letter_context
from .models import Channel, Complaint, Letter, Status


class RecoveredAmountField(AmountField):
    """An amount as people type it, where 0 is allowed (no relief)."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as error:
            text = _AMOUNT_NOISE_RE.sub("", nfkc(str(value or "")))
            if error.code == "min_value" and not text.startswith("-"):
                from decimal import Decimal

                return Decimal("0.00")
            raise


class NoteForm(forms.Form):
    """The note for a workflow move (shown to the user on visible moves)."""

    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60, "maxlength": 5000}),
    )


class TransitionForm(NoteForm):
    """Exactly the inputs a move needs (`Transition.needs`), and the status
    the reviewer saw, so that a move made by someone else meanwhile is
    refused instead of overwritten."""

    expected_status = forms.ChoiceField(
        choices=Status.choices, widget=forms.HiddenInput
    )
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[("", "---------"), *Complaint.Outcome.choices],
        required=False,
    )
    amount_recovered = RecoveredAmountField(
        label=gettext_lazy("Amount recovered (CNY)"), required=False
    )

    def __init__(self, *args, needs=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("note", "outcome", "amount_recovered"):
            if name not in needs:
                del self.fields[name]


def _change_url(complaint: Complaint) -> str:
    return reverse("admin:complaints_complaint_change", args=[complaint.pk])


def _get_complaint(model_admin, request, object_id) -> Complaint:
    """The case through the admin's queryset (visible, not a draft), or 404."""
    complaint = model_admin.get_object(request, object_id)
    if complaint is None:
        raise Http404(_("No such case."))
    return complaint


def _require_reviewer(model_admin, request) -> None:
    if not model_admin.has_review_permission(request):
        raise PermissionDenied


def _apply_problems(form: forms.Form, error: workflow.TransitionError) -> None:
    """Each problem next to its field; the others above the form."""
    for problem in error.problems:
        field = problem.field if problem.field in form.fields else None
        form.add_error(field, str(problem.message))


def transition_view(model_admin, request, object_id, target):
    """Ask for what the move needs, then make it through the workflow."""
    _require_reviewer(model_admin, request)
    complaint = _get_complaint(model_admin, request, object_id)
    expected = request.POST.get("expected_status") or complaint.status
    # The move as the reviewer saw it; a stale page still finds its rule, and
    # the workflow then refuses it with "changed by someone else".
    rule = workflow.find(expected, target, {workflow.REVIEWER})
    if rule is None:
        messages.error(request, _("This action is not possible for this case now."))
        return redirect(_change_url(complaint))
    needs = rule.needs
    error_message = None
    if request.method == "POST":
        form = TransitionForm(request.POST, needs=needs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                workflow.transition(
                    complaint,
                    target=target,
                    actor=request.user,
                    expected_status=data["expected_status"],
                    note=data.get("note", ""),
                    outcome=data.get("outcome", ""),
                    amount_recovered=data.get("amount_recovered"),
                    role=workflow.REVIEWER,
                )
            except workflow.TransitionError as error:
                error_message = error.message
                _apply_problems(form, error)
            else:
                complaint.refresh_from_db(fields=["status"])
                messages.success(
                    request,
                    _("Case %(number)s: %(status)s.")
                    % {
                        "number": complaint.number,
                        "status": complaint.get_status_display(),
                    },
                )
                return redirect(_change_url(complaint))
    else:
        form = TransitionForm(
            initial={"expected_status": complaint.status}, needs=needs
        )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": complaint,
        "complaint": complaint,
        "rule": rule,
        "title": rule.label,
        "form": form,
        "error_message": error_message,
        "change_url": _change_url(complaint),
    }
    return TemplateResponse(
        request, "admin/complaints/complaint/transition.html", context
    )


class ReviewerMessageForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60, "maxlength": 5000}),
    )
    internal = forms.BooleanField(
        label=gettext_lazy("Internal note (reviewers only; the user never sees it)"),
        required=False,
    )


def message_view(model_admin, request, object_id):
    """Post a message to the user, or an internal note."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    complaint = _get_complaint(model_admin, request, object_id)
    if not request.user.has_perm("complaints.add_message"):
        raise PermissionDenied
    form = ReviewerMessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a message."))
        return redirect(_change_url(complaint) + "#reviewer-message")
    try:
        services.message_post(
            author=request.user,
            complaint=complaint,
            body=form.cleaned_data["body"],
            internal=form.cleaned_data["internal"],
        )
    except (PermissionDenied, ValidationError):
        messages.error(request, _("The message could not be posted."))
        return redirect(_change_url(complaint))
    if form.cleaned_data["internal"]:
        messages.success(request, _("Internal note saved."))
    else:
        messages.success(request, _("Message sent to the user."))
    return redirect(_change_url(complaint) + "#reviewer-message")


def assign_view(model_admin, request, object_id):
    """Make the current reviewer responsible for the case."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    _require_reviewer(model_admin, request)
    complaint = _get_complaint(model_admin, request, object_id)
    services.complaint_assign(
        actor=request.user, complaint=complaint, assignee=request.user
    )
    messages.success(
        request, _("Case %(number)s is assigned to you.") % {"number": complaint.number}
    )
    return redirect(_change_url(complaint))


# --- Letters ----------------------------------------------------------------

# The export makes letters in the language they are filed in.
EXPORT_LANGUAGE = "zh-hans"
# A zip stays in memory up to this size, then spills to a temporary file.
_SPOOL_BYTES = 8 * 1024 * 1024
_CHUNK = 64 * 1024


def _file_headers(response):
    """A stored file, not a page (security requirements 8 and 29)."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def letter_download_view(model_admin, request, public_id):
    """One stored letter version, byte for byte, as an attachment."""
    if not request.user.has_perm("complaints.view_letter"):
        raise PermissionDenied
    try:
        # Through the admin's queryset: the access module's rules apply.
        letter = (
            model_admin.get_queryset(request)
            .select_related("complaint", "channel")
            .get(public_id=public_id)
        )
    except (Letter.DoesNotExist, ValidationError):
        raise Http404(_("No such letter.")) from None
    try:
        handle = letter.file.storage.open(letter.file.name, "rb")
    except FileNotFoundError:
        raise Http404(_("The stored file of this letter is missing.")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=letter.file_name,
        content_type="application/pdf",
    )
    return _file_headers(response)


@dataclass
class _Entry:
    name: str
    sha256: str  # of the bytes put in the zip
    letter: Letter
    intact: bool  # those bytes match the hash recorded with the letter


class LetterArchive:
    """A zip of stored letters built in a temporary file, with a README.txt
    (what is in it, what was left out and why) and SHA256SUMS (for
    `sha256sum -c`). Each file is copied from storage in chunks and hashed
    on the way, so a stored file that no longer matches its recorded hash
    is reported rather than passed on silently."""

    def __init__(self, title: str):
        self.title = title
        self.entries: list[_Entry] = []
        self.skipped: list[tuple[str, str, str]] = []
        # Handed to the FileResponse, which closes it.
        self._spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115
        self._zip = zipfile.ZipFile(self._spool, "w", zipfile.ZIP_DEFLATED)

    def add(self, letter: Letter, case_number: str) -> None:
        name = f"{case_number}/{letter.file_name}"
        try:
            source = letter.file.storage.open(letter.file.name, "rb")
        except FileNotFoundError:
            self.skip(case_number, letter.channel, _("the stored file is missing"))
            return
        moment = timezone.localtime(letter.created_at)
        info = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        digest = hashlib.sha256()
        with source, self._zip.open(info, "w") as target:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                target.write(chunk)
        sha256 = digest.hexdigest()
        self.entries.append(_Entry(name, sha256, letter, sha256 == letter.sha256))

    def skip(self, case_number: str, channel, reason) -> None:
        label = channel.display_name if channel is not None else ""
        self.skipped.append((case_number, label, str(reason)))

    def _readme(self, user) -> str:
        lines = [
            self.title,
            _("Made on %(when)s by %(user)s.")
            % {"when": f"{timezone.localtime():%Y-%m-%d %H:%M}", "user": user},
            "",
            _(
                "Each file is a stored letter version, byte for byte. Check "
                "the files with: sha256sum -c SHA256SUMS"
            ),
            "",
            _("Files (%(count)d):") % {"count": len(self.entries)},
        ]
        for entry in self.entries:
            letter = entry.letter
            lines.append(f"{letter.sha256}  {entry.name}")
            lines.append(
                "    "
                + _("%(channel)s, version %(version)d, made %(when)s")
                % {
                    "channel": letter.channel.display_name,
                    "version": letter.version,
                    "when": f"{timezone.localtime(letter.created_at):%Y-%m-%d %H:%M}",
                }
            )
            if not entry.intact:
                lines.append(
                    "    "
                    + _(
                        "WARNING: the stored file does not match the SHA-256 "
                        "recorded when the letter was made; its bytes hash to "
                        "%(sha256)s."
                    )
                    % {"sha256": entry.sha256}
                )
        if not self.entries:
            lines.append("    " + _("(none)"))
        lines += ["", _("Left out (%(count)d):") % {"count": len(self.skipped)}]
        for case_number, channel, reason in self.skipped:
            where = f"{case_number} / {channel}" if channel else case_number
            lines.append(f"{where}: {reason}")
        if not self.skipped:
            lines.append("    " + _("(none)"))
        return "\r\n".join(lines) + "\r\n"

    def response(self, request) -> FileResponse:
        """Finish the zip and stream it (the temporary file is closed when
        the response is)."""
        try:
            self._zip.writestr("README.txt", self._readme(request.user))
            self._zip.writestr(
                "SHA256SUMS",
                # The hashes recorded when the letters were made: a file that
                # no longer matches fails `sha256sum -c`.
                "".join(f"{e.letter.sha256}  {e.name}\n" for e in self.entries),
            )
            self._zip.close()
            self._spool.seek(0)
        except BaseException:
            self.close()
            raise
        response = FileResponse(
            self._spool,
            as_attachment=True,
            filename=f"letters-{timezone.localdate():%Y-%m-%d}.zip",
            content_type="application/zip",
        )
        return _file_headers(response)

    def close(self) -> None:
        self._zip.close()
        self._spool.close()


def _limit_exceeded(model_admin, request, limit: int, message: str) -> None:
    model_admin.message_user(request, message % {"limit": limit}, messages.ERROR)


def letters_zip(model_admin, request, queryset):
    """The selected stored letters in one zip."""
    limit = getattr(settings, "LETTER_ZIP_MAX_LETTERS", 200)
    letters = list(
        queryset.select_related("complaint", "channel").order_by(
            "complaint__number", "channel__position", "language", "version"
        )[: limit + 1]
    )
    if len(letters) > limit:
        _limit_exceeded(
            model_admin,
            request,
            limit,
            ngettext(
                "At most %(limit)d letter can go in one zip: select fewer.",
                "At most %(limit)d letters can go in one zip: select fewer.",
                limit,
            ),
        )
        return None
    if not letters:
        model_admin.message_user(
            request, _("None of the selected letters is in the list."), messages.WARNING
        )
        return None
    archive = LetterArchive(_("Letters selected in the admin"))
    try:
        for letter in letters:
            archive.add(letter, letter.complaint.number)
    except BaseException:
        archive.close()
        raise
    return archive.response(request)


def _problems(items) -> str:
    return " ".join(str(getattr(p, "message", p)) for p in items)


def _export_case(archive: LetterArchive, actor, complaint, channel_list) -> None:
    """The current letter of each ready channel of one case, into the zip;
    every other channel with the reason it was left out."""
    number = complaint.number
    if complaint.status == Status.DRAFT:
        archive.skip(
            number,
            None,
            _("a draft: letters are made once the owner has submitted the case."),
        )
        return
    for entry in channels.channel_plan(complaint, channel_list):
        channel = entry.channel
        if not entry.usable:
            archive.skip(
                number,
                channel,
                _("not available for this case. %(why)s")
                % {"why": _problems(entry.reasons)},
            )
            continue
        if not channel.letter_template:
            archive.skip(number, channel, _("this channel has no letter."))
            continue
        if not channels.template_exists(channel.letter_template):
            archive.skip(
                number,
                channel,
                _("the letter template %(template)s does not exist.")
                % {"template": channel.letter_template},
            )
            continue
        if entry.missing:
            archive.skip(
                number,
                channel,
                _("not ready, facts are missing. %(why)s")
                % {"why": _problems(entry.missing)},
            )
            continue
        try:
            letter, _created = services.letter_issue(
                actor=actor,
                complaint=complaint,
                channel=channel,
                language=EXPORT_LANGUAGE,
            )
        except services.LetterNotReady as error:
            archive.skip(
                number,
                channel,
                f"{error.message} {_problems(error.problems)}".strip(),
            )
        except PermissionDenied:
            archive.skip(number, channel, _("you may not make this letter."))
        else:
            archive.add(letter, number)


def export_letters(model_admin, request, queryset):
    """For each selected case that is not a draft, the current letter of
    every channel that is ready (made now, or the stored version when the
    facts have not changed), in one zip with a README of what was left out.
    """
    limit = getattr(settings, "LETTER_EXPORT_MAX_CASES", 20)
    pks = list(queryset.order_by().values_list("pk", flat=True)[: limit + 1])
    if len(pks) > limit:
        _limit_exceeded(
            model_admin,
            request,
            limit,
            ngettext(
                "Letters can be exported for at most %(limit)d case at a time: "
                "select fewer cases.",
                "Letters can be exported for at most %(limit)d cases at a time: "
                "select fewer cases.",
                limit,
            ),
        )
        return None
    if not pks:
        model_admin.message_user(
            request, _("None of the selected cases is in the list."), messages.WARNING
        )
        return None
    cases = letter_context.complaint_queryset().filter(pk__in=pks).order_by("number")
    channel_list = list(
        Channel.objects.filter(is_active=True).order_by("position", "code")
    )
    archive = LetterArchive(_("Letters of the selected cases"))
    try:
        for complaint in cases:
            _export_case(archive, request.user, complaint, channel_list)
    except BaseException:
        archive.close()
        raise
    return archive.response(request)


# --- Filings ----------------------------------------------------------------

# "Due soon" in the admin's filters: a deadline within this many days.
DUE_SOON_DAYS = 7


class FilingAddForm(FilingForm):
    """The admin's form for a new filing: the case (by id, pre-filled from
    `?complaint=<pk>` on the case page), then what the site's form asks.
    The letter and the proof of delivery are those of that case. Validated
    here, recorded by `services.filing_record`: nobody saves this form."""

    class Meta(FilingForm.Meta):
        fields = ["complaint", *FilingForm.Meta.fields]

    def __init__(self, data=None, *args, **kwargs):
        initial = kwargs.get("initial") or {}
        raw = data.get("complaint") if data is not None else initial.get("complaint")
        super().__init__(data, *args, complaint=int_or_none(raw), **kwargs)


def int_or_none(value) -> int | None:
    if isinstance(value, Complaint):
        return value.pk
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def transition_error_text(error: workflow.TransitionError) -> str:
    reasons = [str(p.message) for p in error.problems]
    return " ".join([str(error.message), *reasons])


def deadline_state(filing, today) -> tuple[str, str]:
    """Where a filing's deadline stands: (kind, words), kind one of
    "overdue", "due", "answered", "none". (The words are the site's own.)"""
    if filing.due_on is not None:
        days = (filing.due_on - today).days
        if days < 0:
            return "overdue", ngettext(
                "%(days)s day overdue", "%(days)s days overdue", -days
            ) % {"days": -days}
        if days == 0:
            return "due", _("due today")
        return "due", ngettext("%(days)s day left", "%(days)s days left", days) % {
            "days": days
        }
    if filing.first_due_on is None:
        return "none", _("no clock")
    return "answered", _("answered")


def deadline_html(filing, today):
    """`deadline_state` for a cell: overdue in the admin's error red (its own
    stylesheet: no inline style under the Content-Security-Policy)."""
    kind, words = deadline_state(filing, today)
    if kind == "overdue":
        return format_html(
            '<ul class="errorlist deadline-overdue" data-deadline="overdue">'
            "<li>{}</li></ul>",
            words,
        )
    return format_html('<span data-deadline="{}">{}</span>', kind, words)


# --- Untimely bodies ------------------------------------------------------------

# Institutions beyond this many rows (typed names can be many) are summed
# into one "other" row.
UNTIMELY_INSTITUTION_ROWS = 50


def answered_on_expression():
    """The first sign of life from the body, in SQL: the earlier of
    `accepted_on` and `reply_on`, either of which may be missing.

    Spelled out as a CASE because the databases disagree on NULLs: SQLite's
    two-argument MIN() is NULL when either is, PostgreSQL's LEAST() skips
    NULLs. (`Filing.answered_on` is the same in Python.)"""
    return Case(
        When(accepted_on__isnull=True, then=F("reply_on")),
        When(reply_on__isnull=True, then=F("accepted_on")),
        When(accepted_on__lte=F("reply_on"), then=F("accepted_on")),
        default=F("reply_on"),
        output_field=DateField(),
    )


@dataclass
class TimelinessRow:
    key: object
    label: str
    url: str = ""
    filings: int = 0
    in_time: int = 0
    late: int = 0
    overdue: int = 0
    waiting: int = 0
    undated: int = 0
    no_deadline: int = 0
    days_late: int = 0  # summed over the answers given late
    is_other: bool = False

    COUNTS = (
        "filings",
        "in_time",
        "late",
        "overdue",
        "waiting",
        "undated",
        "no_deadline",
        "days_late",
    )

    def add(self, other) -> None:
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def decided(self) -> int:
        """Filings whose timeliness is known: answered, or overdue now."""
        return self.in_time + self.late + self.overdue

    @property
    def share_late(self) -> float | None:
        """Answered late or overdue now, of the decided filings."""
        if not self.decided:
            return None
        return (self.late + self.overdue) / self.decided

    @property
    def share_late_percent(self) -> int | None:
        share = self.share_late
        return None if share is None else round(share * 100)

    @property
    def average_days_late(self) -> float | None:
        return self.days_late / self.late if self.late else None


def _timeliness_counts(today):
    """The buckets each filing falls in (exactly one)."""
    clock = Q(first_due_on__isnull=False)
    silent = clock & Q(answered__isnull=True)
    waiting_for_answer = silent & Q(outcome="")
    return {
        "filings": Count("pk"),
        "no_deadline": Count("pk", filter=Q(first_due_on__isnull=True)),
        "in_time": Count("pk", filter=clock & Q(answered__lte=F("first_due_on"))),
        "late": Count("pk", filter=clock & Q(answered__gt=F("first_due_on"))),
        # An outcome recorded without a date (accepted, day unknown).
        "undated": Count("pk", filter=silent & ~Q(outcome="")),
        "overdue": Count("pk", filter=waiting_for_answer & Q(first_due_on__lt=today)),
        "waiting": Count("pk", filter=waiting_for_answer & Q(first_due_on__gte=today)),
    }


def _timeliness(filings, key, label_for, url_for, today) -> dict:
    """Counts per group in one grouped query, days late in another (grouped
    by group and dates, so a thousand late answers on the same days are
    one row)."""
    filings = filings.order_by().annotate(
        group_key=key, answered=answered_on_expression()
    )
    rows: dict = {}
    for values in filings.values("group_key").annotate(**_timeliness_counts(today)):
        group = values.pop("group_key") or ""
        row = rows.get(group)
        if row is None:
            row = rows[group] = TimelinessRow(
                key=group, label=label_for(group), url=url_for(group)
            )
        row.add(TimelinessRow(key=group, label="", **values))
    late = (
        filings.filter(first_due_on__isnull=False, answered__gt=F("first_due_on"))
        .values("group_key", "answered", "first_due_on")
        .annotate(n=Count("pk"))
    )
    for values in late:
        row = rows.get(values["group_key"] or "")
        if row is not None:
            row.days_late += (
                values["answered"] - values["first_due_on"]
            ).days * values["n"]
    return rows


def _worst_first(rows) -> list[TimelinessRow]:
    def key(row):
        share = row.share_late
        return (share is None, -(share or 0), -row.filings, row.label)

    return sorted(rows, key=key)


def _total(rows, label) -> TimelinessRow:
    total = TimelinessRow(key=None, label=label)
    for row in rows:
        total.add(row)
    return total


@dataclass
class TimelinessTable:
    rows: list[TimelinessRow]
    total: TimelinessRow


def untimely_by_body(filings, today) -> TimelinessTable:
    changelist = reverse("admin:complaints_filing_changelist")
    found = _timeliness(
        filings,
        F("channel_id"),
        lambda key: "",
        lambda key: f"{changelist}?channel__id__exact={key}",
        today,
    )
    names = Channel.objects.in_bulk(list(found))
    for pk, row in found.items():
        channel = names.get(pk)
        row.label = channel.display_name if channel else str(pk)
    rows = _worst_first(found.values())
    return TimelinessTable(rows=rows, total=_total(rows, _("Total")))


def untimely_by_institution(filings, today) -> TimelinessTable:
    from .dashboard import respondent_key

    unknown = _("Unknown")
    found = _timeliness(
        filings.filter(channel__kind=Channel.Kind.INSTITUTION),
        respondent_key("complaint__"),
        lambda key: key or unknown,
        lambda key: "",
        today,
    )
    rows = _worst_first(found.values())
    total = _total(rows, _("Total"))
    if len(rows) > UNTIMELY_INSTITUTION_ROWS + 1:
        shown, rest = rows[:UNTIMELY_INSTITUTION_ROWS], rows[UNTIMELY_INSTITUTION_ROWS:]
        other = _total(rest, _("Other (%(count)d more)") % {"count": len(rest)})
        other.is_other = True
        rows = [*shown, other]
    return TimelinessTable(rows=rows, total=total)


def untimely_view(model_admin, request):
    """/admin/complaints/filing/untimely/: which bodies answer late, by body
    and (for letters to the institution itself) by institution. A fixed
    number of queries, whatever the number of filings."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    today = timezone.localdate()
    filings = model_admin.get_queryset(request)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Untimely bodies"),
        "today": today,
        "by_body": untimely_by_body(filings, today),
        "by_institution": untimely_by_institution(filings, today),
    }
    return TemplateResponse(request, "admin/complaints/filing/untimely.html", context)
