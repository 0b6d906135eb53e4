"""Which bodies a complaint can go to, in what order, and what each needs.

The rules are data on `Channel` (who may use it, which respondents it
handles, which facts a filing must contain); this module applies them to one
complaint:

- `channel_plan()` is the ordered plan (the institution itself first), each
  channel suggested, suggested with a caution, or excluded, with the reasons
  in plain language;
- `missing_facts()` lists exactly what a letter to one channel still lacks,
  each linked to the form field to fill in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .letters import law
from .models import Channel, ComplainantType, Complaint, Institution
from .submission import Problem

SUGGESTED = "suggested"
CAUTION = "caution"
EXCLUDED = "excluded"


# --- Facts a filing may require ---------------------------------------------


@dataclass(frozen=True)
class Fact:
    key: str
    field: str  # form field to link to ("losses" for the loss table)
    label: object
    present: Callable[[Complaint], bool]


def _has_respondent(c: Complaint) -> bool:
    return bool(c.respondent_institution_id or c.respondent_name.strip())


def _respondent_address(c: Complaint) -> str:
    if c.respondent_address.strip():
        return c.respondent_address.strip()
    institution = c.respondent_institution if c.respondent_institution_id else None
    return institution.address.strip() if institution else ""


def _has_claims(c: Complaint) -> bool:
    return bool(c.claims or c.claims_other.strip())


def _has_losses(c: Complaint) -> bool:
    return len(c.loss_items.all()) > 0


def _has_evidence(c: Complaint) -> bool:
    return len(c.evidence.all()) > 0


def _has_representative(c: Complaint) -> bool:
    if c.complainant_type != ComplainantType.ENTERPRISE:
        return True
    return bool(c.representative_name.strip())


FACTS: dict[str, Fact] = {
    fact.key: fact
    for fact in (
        Fact(
            "complainant_type",
            "complainant_type",
            _("whether you are an individual, an individual business or an enterprise"),
            lambda c: bool(c.complainant_type),
        ),
        Fact(
            "complainant_name",
            "complainant_name",
            _("your name (or the business name)"),
            lambda c: bool(c.complainant_name.strip()),
        ),
        Fact(
            "id_number",
            "id_number",
            _("your ID number (or unified social credit code)"),
            lambda c: bool(c.id_number),
        ),
        Fact(
            "representative",
            "representative_name",
            _("the legal representative's name"),
            _has_representative,
        ),
        Fact(
            "contact_phone",
            "contact_phone",
            _("your contact phone number"),
            lambda c: bool(c.contact_phone),
        ),
        Fact(
            "address",
            "address",
            _("your mailing address"),
            lambda c: bool(c.address.strip()),
        ),
        Fact(
            "respondent",
            "respondent_institution",
            _("the name of the payment institution"),
            _has_respondent,
        ),
        Fact(
            "respondent_address",
            "respondent_address",
            _("the payment institution's address"),
            lambda c: bool(_respondent_address(c)),
        ),
        Fact(
            "terminal",
            "terminal_sn",
            _("the terminal SN, terminal number or merchant number"),
            lambda c: bool(c.terminal_sn or c.terminal_number or c.merchant_number),
        ),
        Fact(
            "deactivated_on",
            "deactivated_on",
            _("the date the terminal was deactivated"),
            lambda c: c.deactivated_on is not None,
        ),
        Fact(
            "narrative",
            "narrative",
            _("what happened, in your words"),
            lambda c: bool(c.narrative.strip()),
        ),
        Fact("claims", "claims", _("what you are asking for"), _has_claims),
        Fact("losses", "losses", _("at least one loss with its amount"), _has_losses),
        Fact(
            "evidence",
            "evidence",
            _("at least one evidence file"),
            _has_evidence,
        ),
        Fact(
            "arbitration_commission",
            "arbitration_commission",
            _("the arbitration commission named in your agreement"),
            lambda c: bool(c.arbitration_commission.strip()),
        ),
    )
}


def missing_facts(complaint: Complaint, channel: Channel) -> list[Problem]:
    """What a letter to `channel` still lacks, in the channel's order.

    Needs `loss_items` and `evidence` prefetched to run no queries.
    """
    problems = []
    basis = citation_list(channel.required_facts_articles)
    for key in channel.required_facts or []:
        fact = FACTS.get(key)
        if fact is None or fact.present(complaint):
            continue
        if basis:
            message = _("%(channel)s requires %(fact)s (%(basis)s).") % {
                "channel": channel.display_name,
                "fact": fact.label,
                "basis": basis,
            }
        else:
            message = _("%(channel)s requires %(fact)s.") % {
                "channel": channel.display_name,
                "fact": fact.label,
            }
        problems.append(Problem(fact.field, message))
    return problems


@cache
def template_exists(name: str) -> bool:
    """Whether the letter template an admin named exists (cached)."""
    if not name:
        return False
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return False
    return True


def citation_list(keys) -> str:
    """《…》第九条; … for article keys (empty for none)."""
    return "；".join(a.citation for a in law.articles(keys or []))


# --- The plan -----------------------------------------------------------------


@dataclass
class PlanEntry:
    channel: Channel
    status: str
    reasons: list = field(default_factory=list)
    missing: list[Problem] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        """A letter may be produced for it (not excluded)."""
        return self.status != EXCLUDED

    @property
    def ready(self) -> bool:
        """Usable and nothing is missing: a letter can be produced now."""
        return (
            self.usable
            and not self.missing
            and template_exists(self.channel.letter_template)
        )

    @cached_property
    def status_label(self):
        return {
            SUGGESTED: _("Suggested"),
            CAUTION: _("Possible, with a caution"),
            EXCLUDED: _("Not available to you"),
        }[self.status]


def _type_labels(types) -> str:
    labels = dict(ComplainantType.choices)
    return "、".join(str(labels.get(t, t)) for t in types)


def _kind_labels(kinds) -> str:
    labels = dict(Institution.Kind.choices)
    return "、".join(str(labels.get(k, k)) for k in kinds)


def _base_status(complaint: Complaint, channel: Channel) -> tuple[str, list]:
    """Eligibility from the channel's own rules, before alternatives."""
    status, reasons = SUGGESTED, []
    note = channel.display_eligibility_note
    allowed = channel.complainant_types or []
    ctype = complaint.complainant_type
    if allowed:
        if not ctype:
            status = CAUTION
            reasons.append(
                _("Only for: %(types)s. Say on the form which you are.")
                % {"types": _type_labels(allowed)}
            )
        elif ctype not in allowed:
            return EXCLUDED, [
                _("Only for: %(types)s; you are: %(type)s.")
                % {"types": _type_labels(allowed), "type": _type_labels([ctype])},
                *([note] if note else []),
            ]
    if ctype and ctype in (channel.caution_complainant_types or []):
        status = CAUTION
        reasons.append(
            _("As %(type)s you may be refused.") % {"type": _type_labels([ctype])}
        )
        if note:
            reasons.append(note)

    kinds = channel.respondent_kinds or []
    if kinds:
        institution = (
            complaint.respondent_institution
            if complaint.respondent_institution_id
            else None
        )
        if institution is None:
            status = CAUTION
            reasons.append(
                _(
                    "Only for complaints about: %(kinds)s. Choose the institution "
                    "from the list to check."
                )
                % {"kinds": _kind_labels(kinds)}
            )
        elif institution.kind not in kinds:
            return EXCLUDED, [
                _("Only for complaints about: %(kinds)s; %(name)s is: %(kind)s.")
                % {
                    "kinds": _kind_labels(kinds),
                    "name": institution.name,
                    "kind": _kind_labels([institution.kind]),
                }
            ]

    if channel.kind == Channel.Kind.ARBITRATION:
        if not complaint.arbitration_commission.strip():
            return EXCLUDED, [
                _(
                    "Only when your agreement has an arbitration clause "
                    "(%(basis)s). If it has one, enter the commission it names."
                )
                % {"basis": citation_list(["仲裁法-16"])}
            ]
        reasons.append(
            _("Your agreement names %(commission)s.")
            % {"commission": complaint.arbitration_commission}
        )
    if channel.kind == Channel.Kind.COURT and complaint.arbitration_commission.strip():
        status = CAUTION
        reasons.append(
            _(
                "Your agreement has an arbitration clause: a court will not take "
                "the case unless the arbitration agreement is invalid (%(basis)s)."
            )
            % {"basis": citation_list(["仲裁法-5"])}
        )
    if channel.kind == Channel.Kind.INSTITUTION:
        reasons.append(
            _(
                "Always first: the institution must handle your complaint, and a "
                "written demand restarts the limitation period (%(basis)s)."
            )
            % {"basis": citation_list(["条例-35", "民法典总则-195"])}
        )
    if status == SUGGESTED and note and channel.kind != Channel.Kind.INSTITUTION:
        reasons.append(note)
    return status, reasons


def channel_plan(complaint: Complaint, channels=None) -> list[PlanEntry]:
    """The ordered plan of channels for a complaint, with reasons.

    `channels` defaults to the active channels (one query); the complaint
    should have `respondent_institution`, `loss_items` and `evidence`
    loaded so that computing the plan runs no further queries.
    """
    if channels is None:
        channels = list(
            Channel.objects.filter(is_active=True).order_by("position", "code")
        )
    base = {c.pk: _base_status(complaint, c) for c in channels}
    by_pk = {c.pk: c for c in channels}
    plan = []
    for channel in channels:
        status, reasons = base[channel.pk]
        primary = by_pk.get(channel.alternative_to_id)
        if primary is not None and status != EXCLUDED:
            if base[primary.pk][0] == EXCLUDED:
                reasons = [
                    _("Offered instead of %(channel)s, which you cannot use.")
                    % {"channel": primary.display_name},
                    *reasons,
                ]
            else:
                status, reasons = (
                    EXCLUDED,
                    [
                        _("You can use %(channel)s instead.")
                        % {"channel": primary.display_name}
                    ],
                )
        entry = PlanEntry(channel, status, list(reasons))
        if entry.usable:
            entry.missing = missing_facts(complaint, channel)
        plan.append(entry)
    return plan


def plan_entry(complaint: Complaint, channel: Channel | str) -> PlanEntry | None:
    """The plan entry for one channel (or channel code), or None when the
    plan has none (an inactive channel, an unknown code)."""
    for entry in channel_plan(complaint):
        if isinstance(channel, str):
            if entry.channel.code == channel:
                return entry
        elif entry.channel.pk == channel.pk:
            return entry
    return None


def next_steps(plan: list[PlanEntry], filing, filings, today) -> list[PlanEntry]:
    """Where to turn when `filing`'s body is late or did not give what was
    asked: the usable channels of the plan, in its order, that nothing was
    sent to yet (at most two; a court or arbitration only when no other body
    is left). Empty while the body is within its time or has resolved it.
    """
    from .models import Filing

    late = filing.due_on is not None and filing.due_on < today
    refused = filing.outcome in (
        Filing.Outcome.REFUSED,
        Filing.Outcome.NO_RELIEF,
        Filing.Outcome.PARTIAL,
    )
    if not (late or refused):
        return []
    sent = {f.channel_id for f in filings}
    candidates = [e for e in plan if e.usable and e.channel.pk not in sent]
    ordinary = [
        e
        for e in candidates
        if e.channel.kind not in (Channel.Kind.COURT, Channel.Kind.ARBITRATION)
    ]
    return (ordinary or candidates)[:2]
