"""Evidence: one uploaded file of a case, kept byte for byte."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .cases import Complaint, LossItem
from .storage import evidence_storage


class Evidence(models.Model):
    """One uploaded evidence file, kept byte for byte as uploaded.

    The file lives in private storage under a random name; `original_name`
    is sanitised metadata only. `sha256` is computed while the upload
    streams, so a regulator can check the copy they receive.
    """

    class Kind(models.TextChoices):
        CONTRACT = "contract", _("Contract or agreement")
        RECEIPT = "receipt", _("Receipt (shows the merchant number)")
        STATEMENT = "statement", _("Bank or app statement")
        SCREENSHOT = "screenshot", _("Screenshot")
        CHAT_LOG = "chat_log", _("Chat log")
        NOTICE = "notice", _("Deactivation notice")
        AUDIO = "audio", _("Call recording or audio")
        VIDEO = "video", _("Video or screen recording")
        OTHER = "other", _("Other")

    class Verdict(models.TextChoices):
        PENDING = "pending", _("Not reviewed yet")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Not accepted")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    purpose = models.CharField(
        _("what it proves"),
        max_length=300,
        help_text=_(
            "证明目的: for example 'the terminal was deactivated on 15 August'."
        ),
    )
    is_original = models.BooleanField(
        _("original"),
        default=True,
        help_text=_("Original file or document (原件), rather than a copy (复印件)."),
    )
    file = models.FileField(
        _("file"), storage=evidence_storage, max_length=200, editable=False
    )
    thumbnail = models.CharField(max_length=200, blank=True, editable=False)
    original_name = models.CharField(_("file name"), max_length=200, editable=False)
    content_type = models.CharField(_("content type"), max_length=100, editable=False)
    size = models.BigIntegerField(_("size (bytes)"), editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        editable=False,
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    loss_items = models.ManyToManyField(
        LossItem,
        verbose_name=_("losses it supports"),
        blank=True,
        related_name="evidence",
    )
    verdict = models.CharField(
        _("review verdict"), max_length=20, choices=Verdict, default=Verdict.PENDING
    )
    review_note = models.TextField(_("note to the user"), max_length=1000, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    reviewed_at = models.DateTimeField(
        _("reviewed"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence")
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "sha256"], name="evidence_unique_file_per_case"
            ),
        ]

    def __str__(self):
        return self.original_name

    @property
    def short_hash(self) -> str:
        return self.sha256[:12]

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
