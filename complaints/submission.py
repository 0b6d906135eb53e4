"""What a complaint must contain before it can be submitted.

These are the facts every letter needs (who, against whom, which terminal,
what happened and when, what is claimed), the consents, and at least one
loss. Each problem names the form field, so the page can link to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import ComplainantType, Complaint


@dataclass(frozen=True)
class Problem:
    field: str  # form field name, or "losses" for the loss table
    message: object

    @property
    def anchor(self) -> str:
        # crispy-forms wraps each field (label, input, help) in div_id_<name>.
        return "losses" if self.field == "losses" else f"div_id_{self.field}"


_REQUIRED = (
    (
        "complainant_type",
        _(
            "Say whether you are an individual, an individual business or an enterprise."
        ),
    ),
    ("complainant_name", _("Enter your name (or the business name).")),
    ("id_number", _("Enter your ID number (or unified social credit code).")),
    ("contact_phone", _("Enter a contact phone number.")),
    ("address", _("Enter a mailing address.")),
    ("province", _("Choose your province.")),
    ("deactivated_on", _("Enter the date the terminal was deactivated.")),
    ("harm_known_on", _("Enter the date you learnt of the harm.")),
    ("narrative", _("Describe what happened.")),
)

MIN_NARRATIVE = 20


def missing_for_submission(complaint: Complaint) -> list[Problem]:
    """Every reason the complaint cannot be submitted yet (empty when ready).

    Runs one query (the loss count) when `loss_items` is not prefetched.
    """
    problems: list[Problem] = []
    for field, message in _REQUIRED:
        if not getattr(complaint, field):
            problems.append(Problem(field, message))
    if (
        complaint.complainant_type == ComplainantType.ENTERPRISE
        and not complaint.representative_name
    ):
        problems.append(
            Problem("representative_name", _("Enter the legal representative's name."))
        )
    if complaint.narrative and len(complaint.narrative.strip()) < MIN_NARRATIVE:
        problems.append(
            Problem(
                "narrative",
                _("Describe what happened in at least 20 characters."),
            )
        )
    if not complaint.respondent_institution_id and not complaint.respondent_name:
        problems.append(
            Problem(
                "respondent_institution",
                _("Choose the payment institution, or type the name on your receipt."),
            )
        )
    if not (
        complaint.terminal_sn or complaint.terminal_number or complaint.merchant_number
    ):
        problems.append(
            Problem(
                "terminal_sn",
                _(
                    "Enter at least one of: terminal SN, terminal number, merchant number."
                ),
            )
        )
    if not complaint.claims and not complaint.claims_other.strip():
        problems.append(Problem("claims", _("Say what you are asking for.")))
    if complaint.consent_processing_at is None:
        problems.append(
            Problem(
                "consent_processing",
                _(
                    "Agree to the processing of your personal information for this case."
                ),
            )
        )
    if complaint.consent_sensitive_at is None:
        problems.append(
            Problem(
                "consent_sensitive",
                _("Give separate consent for your ID number and financial details."),
            )
        )
    if not complaint.loss_items.exists():
        problems.append(Problem("losses", _("Add at least one loss with its amount.")))
    return problems
