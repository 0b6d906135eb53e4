"""Issuing letters: the draft PDF of a case not yet submitted (never
stored), and the final letter, an immutable stored version made again only
when the facts change.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import translation

from .. import access, channels
from ..access import Action
from ..models import Complaint
from . import context as letter_context
from . import render

LETTER_LANGUAGES = ("zh-hans", "en")


class LetterNotReady(Exception):
    """No letter can be produced for this channel now; `problems` says why."""

    def __init__(self, message, problems=()):
        super().__init__(str(message))
        self.message = message
        self.problems = list(problems)


def _check_letter(complaint: Complaint, channel, language: str):
    from django.utils.translation import gettext as _

    if language not in LETTER_LANGUAGES:
        raise LetterNotReady(_("There is no letter in that language."))
    from ..channels import template_exists

    entry = channels.plan_entry(complaint, channel)
    if entry is None or not template_exists(channel.letter_template):
        raise LetterNotReady(_("There is no letter for this channel."))
    if not entry.usable:
        raise LetterNotReady(
            _("This channel is not available for your case."), entry.reasons
        )
    if entry.missing:
        raise LetterNotReady(
            _("The letter still lacks some facts."),
            [p.message for p in entry.missing],
        )
    return entry


def _letter_data(complaint: Complaint, channel, language: str, *, draft: bool):
    """All of a letter's data, from the case as stored now, in the letter's
    language; LetterNotReady when this letter cannot be made."""
    loaded = letter_context.load_complaint(complaint.pk)
    _check_letter(loaded, channel, language)
    with translation.override(language):
        return letter_context.build_context(loaded, channel, draft=draft)


def letter_draft_pdf(*, actor, complaint: Complaint, channel, language: str) -> bytes:
    """A PDF watermarked 草稿 (draft) for a case not yet submitted; nothing is
    stored."""
    if not access.may(actor, Action.DRAFT_LETTER, complaint):
        raise PermissionDenied("not the owner")
    data = _letter_data(complaint, channel, language, draft=True)
    return render.render_pdf(channel.letter_template, data, language=language)


def letter_issue(*, actor, complaint: Complaint, channel, language: str):
    """The current final letter for a channel and language: the stored
    version when the facts have not changed since, else a new version.

    Returns (letter, created). Raises PermissionDenied for a case that is
    still a draft or an actor who may not, LetterNotReady when the channel
    is excluded or facts are missing.
    """
    import hashlib

    from django.core.files.base import ContentFile

    from ..models import Letter, letter_storage

    storage = letter_storage()
    saved = None
    try:
        with transaction.atomic():
            # One letter at a time per case: concurrent requests queue here
            # and the second finds the first one's version.
            locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
            if not access.may(actor, Action.ISSUE_LETTER, locked):
                raise PermissionDenied("letters cannot be issued now")
            data = _letter_data(locked, channel, language, draft=False)
            latest = (
                Letter.objects.filter(
                    complaint=locked, channel=channel, language=language
                )
                .order_by("-version")
                .first()
            )
            if latest is not None and latest.fingerprint == data["fingerprint"]:
                return latest, False
            pdf = render.render_pdf(channel.letter_template, data, language=language)
            saved = storage.save(f"{uuid.uuid4().hex}.pdf", ContentFile(pdf))
            letter = Letter.objects.create(
                complaint=locked,
                channel=channel,
                language=language,
                version=(latest.version + 1) if latest else 1,
                file=saved,
                size=len(pdf),
                sha256=hashlib.sha256(pdf).hexdigest(),
                fingerprint=data["fingerprint"],
                created_by=actor,
            )
    except BaseException:
        # Nothing was recorded: the file must not stay behind.
        if saved:
            storage.delete(saved)
        raise
    return letter, True


def letter_bytes(letter) -> bytes:
    """The stored PDF of a letter version, byte for byte."""
    with letter.file.open("rb") as handle:
        return handle.read()
