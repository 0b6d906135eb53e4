"""Everything a letter shows, built in one place from one complaint.

`load_complaint()` runs the queries; `build_context()` turns the loaded
complaint into plain values (strings, dates, Decimals, lists of dicts), so
letter templates run no queries and cannot reach model methods. Call
`build_context()` inside `translation.override(language)`: labels and the
sentences built here come out in the letter's language.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal

import cn2an
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from stdnum.cn import ric

from ..models import Channel, ComplainantType, Complaint, Evidence, LossItem
from ..regions import MUNICIPALITIES, full_name
from . import law

# Which loss category each claim asks to be paid.
CLAIM_CATEGORY = {
    Complaint.Claim.RELEASE_FUNDS: LossItem.Category.FROZEN_FUNDS,
    Complaint.Claim.REFUND_DEPOSIT: LossItem.Category.DEPOSIT,
    Complaint.Claim.REFUND_FEES: LossItem.Category.FEES,
    Complaint.Claim.COMPENSATE: LossItem.Category.LOST_PROFIT,
    Complaint.Claim.INTEREST: LossItem.Category.INTEREST,
}
CATEGORY_CLAIM = {category: claim for claim, category in CLAIM_CATEGORY.items()}


def complaint_queryset():
    """Complaints with everything a letter needs (three queries per fetch)."""
    return Complaint.objects.select_related(
        "respondent_institution", "brand"
    ).prefetch_related(
        Prefetch("loss_items", queryset=LossItem.objects.order_by("position", "pk")),
        Prefetch("evidence", queryset=Evidence.objects.order_by("uploaded_at", "pk")),
    )


def load_complaint(pk: int) -> Complaint:
    """The complaint with everything a letter needs."""
    return complaint_queryset().get(pk=pk)


def amount_in_capitals(amount: Decimal) -> str:
    """壹万贰仟叁佰肆拾伍元陆角柒分 (Chinese capitals, as on cheques)."""
    if amount == 0:
        return "零元整"
    return cn2an.an2cn(f"{amount:.2f}", "rmb")


def _parties(channel: Channel) -> dict[str, str]:
    """What the letter calls the two sides, by the kind of body: as a label
    ("Plaintiff") and inside a sentence ("the plaintiff")."""
    kind = channel.kind
    if kind == Channel.Kind.COURT:
        return {
            "complainant": _("Plaintiff"),
            "respondent": _("Defendant"),
            "complainant_in_text": pgettext("in a sentence", "the plaintiff"),
            "respondent_in_text": pgettext("in a sentence", "the defendant"),
        }
    if kind == Channel.Kind.ARBITRATION:
        return {
            "complainant": _("Applicant"),
            "respondent": pgettext("arbitration party", "Respondent"),
            "complainant_in_text": pgettext("in a sentence", "the applicant"),
            "respondent_in_text": pgettext("in a sentence", "the respondent"),
        }
    # A report (举报) rather than a complaint: the association, and the
    # market-regulation channel offered instead of a complaint.
    if kind == Channel.Kind.ASSOCIATION or (
        kind == Channel.Kind.MARKET_REGULATION and channel.alternative_to_id
    ):
        return {
            "complainant": _("Informant"),
            "respondent": _("Reported party"),
            "complainant_in_text": pgettext("in a sentence", "the informant"),
            "respondent_in_text": pgettext("in a sentence", "the reported party"),
        }
    if kind == Channel.Kind.INSTITUTION:
        return {
            "complainant": _("Sender"),
            "respondent": _("Recipient"),
            "complainant_in_text": pgettext("in a sentence", "the sender"),
            "respondent_in_text": pgettext("in a sentence", "the recipient"),
        }
    return {
        "complainant": _("Complainant"),
        "respondent": _("Respondent party"),
        "complainant_in_text": pgettext("in a sentence", "the complainant"),
        "respondent_in_text": pgettext("in a sentence", "the respondent party"),
    }


def _region(province: str, city: str) -> str:
    name = full_name(province)
    if city and not (province in MUNICIPALITIES and city.rstrip("市") in name):
        name = (
            f"{name}{city}"
            if not (get_language() or "").startswith("en")
            else (f"{city}, {name}" if name else city)
        )
    return name


def _addressee(complaint: Complaint, channel: Channel, respondent: dict) -> str:
    """The body the letter is addressed to ("" where the user must fill it in)."""
    kind = channel.kind
    complainant_region = full_name(complaint.province)
    if kind == Channel.Kind.INSTITUTION:
        return respondent["name"]
    if kind == Channel.Kind.CENTRAL_BANK:
        if complainant_region:
            return _("%(region)s Branch of the People's Bank of China") % {
                "region": complainant_region
            }
        return _("The People's Bank of China")
    if kind == Channel.Kind.ASSOCIATION:
        return _("Payment & Clearing Association of China")
    if kind == Channel.Kind.MARKET_REGULATION:
        if respondent["region"]:
            return _("Administration for Market Regulation of %(region)s") % {
                "region": respondent["region"]
            }
        return _(
            "The market regulation department where %(party)s operates or is domiciled"
        ) % {"party": _parties(channel)["respondent_in_text"]}
    if kind == Channel.Kind.FINANCIAL_REGULATOR:
        if complainant_region:
            return _(
                "%(region)s Office of the National Financial Regulatory Administration"
            ) % {"region": complainant_region}
        return _("National Financial Regulatory Administration")
    if kind == Channel.Kind.ARBITRATION:
        return complaint.arbitration_commission.strip()
    return ""  # a court: the user writes in the competent court


def _complainant(complaint: Complaint) -> dict:
    ctype = complaint.complainant_type
    gender = birth_date = None
    if (
        ctype == ComplainantType.INDIVIDUAL
        and complaint.id_number
        and ric.is_valid(complaint.id_number)
    ):
        birth_date = ric.get_birth_date(complaint.id_number)
        gender = _("male") if int(complaint.id_number[16]) % 2 else _("female")
    return {
        "type": ctype,
        "type_label": complaint.get_complainant_type_display() if ctype else "",
        "is_organisation": ctype == ComplainantType.ENTERPRISE,
        "name": complaint.complainant_name,
        "id_number": complaint.id_number,
        "id_label": _("Unified social credit code")
        if ctype in (ComplainantType.ENTERPRISE, ComplainantType.SOLE_TRADER)
        else _("Resident ID number"),
        "gender": gender,
        "birth_date": birth_date,
        "representative": complaint.representative_name,
        "phone": complaint.contact_phone,
        "address": complaint.address,
        "region": _region(complaint.province, complaint.city),
    }


def _respondent(complaint: Complaint) -> dict:
    institution = complaint.respondent_institution
    address = complaint.respondent_address.strip() or (
        institution.address if institution else ""
    )
    return {
        "name": complaint.respondent_display,
        "kind": institution.kind if institution else "",
        "kind_label": institution.get_kind_display() if institution else "",
        "licence_number": institution.licence_number if institution else "",
        "address": address,
        "region": _region(institution.province, institution.city)
        if institution
        else "",
        "hotline": institution.hotline if institution else "",
        "agent_name": complaint.agent_name,
        "agent_phone": complaint.agent_phone,
    }


def _terminal(complaint: Complaint) -> dict:
    return {
        "brand": complaint.brand.name if complaint.brand_id else "",
        "sn": complaint.terminal_sn,
        "number": complaint.terminal_number,
        "merchant_number": complaint.merchant_number,
        "model": complaint.terminal_model,
        "activated_on": complaint.activated_on,
        "deposit_paid": complaint.deposit_paid,
    }


def _losses(complaint: Complaint) -> tuple[list[dict], Decimal]:
    rows, total = [], Decimal("0.00")
    for number, item in enumerate(complaint.loss_items.all(), start=1):
        rows.append(
            {
                "number": number,
                "category": item.category,
                "category_label": item.get_category_display(),
                "date": item.occurred_on,
                "description": item.description,
                "amount": item.amount,
            }
        )
        total += item.amount
    return rows, total


def _claims(complaint: Complaint, losses: list[dict]) -> list[dict]:
    """The claims, itemised: each loss category becomes one claim with its
    amount; claims with no amount (explain, stop fees) follow; then the
    user's own words."""
    by_category: dict[str, Decimal] = {}
    for row in losses:
        by_category[row["category"]] = (
            by_category.get(row["category"], Decimal("0")) + row["amount"]
        )
    wording = {
        LossItem.Category.FROZEN_FUNDS: _(
            "pay out the frozen or unsettled settlement funds"
        ),
        LossItem.Category.DEPOSIT: _("refund the deposit or activation fee"),
        LossItem.Category.FEES: _(
            "refund the service, SIM and membership fees deducted"
        ),
        LossItem.Category.LOST_PROFIT: _("compensate the business lost"),
        LossItem.Category.INTEREST: _("pay interest on the funds withheld"),
        LossItem.Category.OTHER: _("compensate the other losses"),
    }
    claims = []
    for category, _label in LossItem.Category.choices:
        if category in by_category:
            claims.append({"text": wording[category], "amount": by_category[category]})
    if Complaint.Claim.STOP_FEES in complaint.claims:
        claims.append({"text": _("stop deducting any fees"), "amount": None})
    if Complaint.Claim.EXPLAIN in complaint.claims:
        claims.append(
            {
                "text": _(
                    "explain in writing why and on what basis the terminal was deactivated"
                ),
                "amount": None,
            }
        )
    # A ticked claim for money with no loss listed still appears, unpriced.
    for claim in complaint.claims:
        category = CLAIM_CATEGORY.get(claim)
        if category and category not in by_category:
            claims.append({"text": wording[category], "amount": None})
    if complaint.claims_other.strip():
        # The user's own words, printed as written (no "we ask you to").
        claims.append(
            {"text": complaint.claims_other.strip(), "amount": None, "own_words": True}
        )
    for number, claim in enumerate(claims, start=1):
        claim["number"] = number
    return claims


def _evidence(complaint: Complaint) -> list[dict]:
    items = [
        e for e in complaint.evidence.all() if e.verdict != Evidence.Verdict.REJECTED
    ]
    return [
        {
            "number": number,
            "name": item.original_name,
            "kind_label": item.get_kind_display(),
            "purpose": item.purpose,
            "original_label": _("original") if item.is_original else _("copy"),
            "sha256": item.sha256,
            "size": item.size,
        }
        for number, item in enumerate(items, start=1)
    ]


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in (text or "").splitlines() if p.strip()]


def _facts(complaint: Complaint, parties: dict, terminal: dict) -> dict:
    """The case's facts as sentences, then the user's own narrative."""
    sentences = []
    ids = []
    if terminal["sn"]:
        ids.append(_("terminal SN %(value)s") % {"value": terminal["sn"]})
    if terminal["number"]:
        ids.append(_("terminal number %(value)s") % {"value": terminal["number"]})
    if terminal["merchant_number"]:
        ids.append(
            _("merchant number %(value)s") % {"value": terminal["merchant_number"]}
        )
    from django.template.defaultfilters import date as date_filter

    if terminal["brand"]:
        device = _("%(brand)s POS terminal") % {"brand": terminal["brand"]}
    else:
        device = _("POS terminal")
    if ids:
        device = _("%(device)s (%(ids)s)") % {
            "device": device,
            "ids": _(", ").join(ids),
        }
    values = {
        "party": parties["complainant_in_text"],
        "respondent": complaint.respondent_display
        or pgettext("in a sentence", "the payment institution"),
        "device": device,
    }
    if complaint.activated_on:
        sentences.append(
            _(
                "On %(date)s %(party)s activated a %(device)s provided through "
                "%(respondent)s."
            )
            % {**values, "date": date_filter(complaint.activated_on)}
        )
    else:
        sentences.append(
            _("%(party)s used a %(device)s provided through %(respondent)s.") % values
        )
    if complaint.deposit_paid:
        sentences.append(
            _("%(party)s paid a deposit or activation fee of CNY %(amount)s.")
            % {**values, "amount": f"{complaint.deposit_paid:,.2f}"}
        )
    if complaint.deactivated_on:
        notice = complaint.deactivation_notice
        if notice == Complaint.DeactivationNotice.NONE or not notice:
            sentence = _(
                "On %(date)s the terminal was deactivated without any notice and "
                "could no longer take payments."
            )
        else:
            sentence = _(
                "On %(date)s the terminal was deactivated, announced %(how)s, and "
                "could no longer take payments."
            )
        how = {
            Complaint.DeactivationNotice.SMS: _("by text message"),
            Complaint.DeactivationNotice.APP: _("by an app or WeChat notice"),
            Complaint.DeactivationNotice.PHONE: _("by a phone call"),
            Complaint.DeactivationNotice.AGENT: _("by the agent"),
            Complaint.DeactivationNotice.WEBSITE: _("on a website"),
            Complaint.DeactivationNotice.OTHER: _("in another way"),
        }.get(notice, "")
        sentences.append(
            sentence % {"date": date_filter(complaint.deactivated_on), "how": how}
        )
    if complaint.deactivation_notice_detail:
        sentences.append(
            _("The notice said: %(detail)s")
            % {"detail": complaint.deactivation_notice_detail}
        )
    if complaint.last_settlement_on:
        sentences.append(
            _("The last successful settlement was on %(date)s.")
            % {"date": date_filter(complaint.last_settlement_on)}
        )
    contact = {
        Complaint.PriorContact.NO: _(
            "%(party)s has not contacted customer service yet."
        ),
        Complaint.PriorContact.NO_ANSWER: _(
            "%(party)s contacted customer service but received no answer."
        ),
        Complaint.PriorContact.REFUSED: _(
            "%(party)s contacted customer service, which refused or offered no "
            "solution."
        ),
        Complaint.PriorContact.PROMISED: _(
            "%(party)s contacted customer service, which promised a solution but "
            "did not act."
        ),
        Complaint.PriorContact.UNREACHABLE: _(
            "%(party)s tried to contact customer service but could not reach it."
        ),
    }.get(complaint.prior_contact)
    if contact:
        sentences.append(contact % values)
    return {
        "summary": [capfirst(sentence) for sentence in sentences],
        "prior_contact_detail": _paragraphs(complaint.prior_contact_detail),
        "narrative": _paragraphs(complaint.narrative),
        "deactivated_on": complaint.deactivated_on,
        "deactivation_notice": complaint.deactivation_notice,
        "prior_contact": complaint.prior_contact,
        "harm_known_on": complaint.harm_known_on,
        "last_settlement_on": complaint.last_settlement_on,
    }


def build_context(
    complaint: Complaint,
    channel: Channel,
    *,
    draft: bool,
    letter_date: date | None = None,
) -> dict:
    """The letter's data for `channel`, in the active language.

    `complaint` must come from `load_complaint()` (or be loaded alike): this
    function runs no queries.
    """
    parties = _parties(channel)
    complainant = _complainant(complaint)
    respondent = _respondent(complaint)
    terminal = _terminal(complaint)
    losses, total = _losses(complaint)
    facts = {
        "case_number": complaint.number,
        "channel": {
            "code": channel.code,
            "kind": channel.kind,
            "name": channel.display_name,
            "basis_confirmed": channel.basis_confirmed,
        },
        "addressee": _addressee(complaint, channel, respondent),
        "parties": parties,
        "complainant": complainant,
        "respondent": respondent,
        "terminal": terminal,
        "facts": _facts(complaint, parties, terminal),
        "claims": _claims(complaint, losses),
        "losses": losses,
        "total": total,
        "total_capitals": amount_in_capitals(total),
        "evidence": _evidence(complaint),
        "legal_basis": [
            {
                "citation": a.citation,
                "label": a.label,
                "statute": a.statute,
                "text": a.text,
            }
            for a in law.articles(channel.letter_articles or [])
        ],
        "language": get_language(),
    }
    return {
        **facts,
        "fingerprint": fingerprint(facts),
        "draft": draft,
        "letter_date": letter_date or timezone.localdate(),
    }


def fingerprint(facts: dict) -> str:
    """SHA-256 of the facts a letter is built from (not its date or watermark)."""
    encoded = json.dumps(facts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()
