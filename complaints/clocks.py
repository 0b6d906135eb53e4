"""Deadlines in calendar days and in China's working days, and the
limitation period.

Working days follow the State Council's holiday schedule, including the
weekend days that are made working days (调休), from the `chinesecalendar`
package. For a year the package does not know yet (the schedule for a year
is published each November or December), working days fall back to
Monday-Friday and every result that relied on that says so
(`approximate=True`), so the page can tell the user.

Counting follows 民法典 art. 201 (the first day is not counted) and
art. 203 (a period whose last day is a statutory rest day ends on the next
working day); the limitation period is 3 years from the day the user learnt
of the harm (art. 188), restarted by each written demand (art. 195).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import chinese_calendar
from chinese_calendar import constants

if TYPE_CHECKING:
    # Only for the type of clock_for(): the models import this module.
    from .models import Filing

CALENDAR = "calendar"
WORKING = "working"
UNITS = (CALENDAR, WORKING)

LIMITATION_YEARS = 3
LIMITATION_WARNING_DAYS = 90


# --- The calendar ---------------------------------------------------------------


@cache
def known_years() -> tuple[int, int]:
    """The first and last year the holiday data covers."""
    days = [*constants.holidays, *constants.workdays]
    return min(days).year, max(days).year


def is_known(day: datetime.date) -> bool:
    first, last = known_years()
    return first <= day.year <= last


def is_working_day(day: datetime.date) -> bool:
    """Whether `day` is a working day in mainland China.

    Holidays are not; make-up weekend days are. Outside the known years:
    Monday to Friday (see `is_known`).
    """
    if is_known(day):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def holiday_name(day: datetime.date) -> str | None:
    """The English name of the public holiday on `day`, if it is one."""
    if not is_known(day):
        return None
    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    return name if on_holiday and name else None


# --- Counting -------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    due: datetime.date
    # True when a day counted lies in a year without holiday data, so the
    # result assumed Monday-Friday working days.
    approximate: bool


def add_working_days(start: datetime.date, days: int) -> Count:
    """The day on which `days` working days after `start` are complete.

    The start day itself is not counted (民法典 art. 201).
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day, counted, approximate = start, 0, False
    while counted < days:
        day += datetime.timedelta(days=1)
        approximate = approximate or not is_known(day)
        if is_working_day(day):
            counted += 1
    return Count(day, approximate)


def next_working_day_from(day: datetime.date) -> Count:
    """`day` itself if it is a working day, else the next one (art. 203)."""
    approximate = not is_known(day)
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
        approximate = approximate or not is_known(day)
    return Count(day, approximate)


def add_calendar_days(start: datetime.date, days: int) -> Count:
    """`start` + `days` calendar days; a last day that is a rest day (weekend
    or holiday, not a make-up working day) moves to the next working day
    (民法典 art. 203)."""
    if days < 0:
        raise ValueError("days must not be negative")
    return next_working_day_from(start + datetime.timedelta(days=days))


def add_days(start: datetime.date, days: int, unit: str) -> Count:
    if unit == WORKING:
        return add_working_days(start, days)
    if unit == CALENDAR:
        return add_calendar_days(start, days)
    raise ValueError(f"unknown unit {unit!r}")


def add_years(start: datetime.date, years: int) -> datetime.date:
    """The same day `years` later; 29 February becomes 28 February (民法典
    art. 202: no corresponding day → the last day of that month)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def days_between(start: datetime.date, end: datetime.date) -> int:
    """Calendar days from `start` to `end` (negative when `end` is earlier)."""
    return (end - start).days


# --- A channel's deadlines ----------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    stage: str
    days: int
    unit: str
    start: datetime.date
    due: datetime.date
    approximate: bool
    # The stage this one ran from ("filed" for the filing date).
    after: str


def validate_rules(rules) -> list[str]:
    """Problems with a channel's clock rules (empty when they are fine).

    Each rule: {"stage": name, "days": positive int, "unit": "calendar" or
    "working", optionally "after": an earlier stage or "filed", and
    "extension": true for the longest time a body may take with reasons}.
    Without "after", a stage runs from the one before it (the first from the
    filing).
    """
    problems = []
    if not isinstance(rules, list):
        return ["clock rules must be a list"]
    seen = {"filed"}
    for index, rule in enumerate(rules):
        where = f"rule {index + 1}"
        if not isinstance(rule, dict):
            problems.append(f"{where}: must be an object")
            continue
        stage = rule.get("stage")
        if not isinstance(stage, str) or not stage:
            problems.append(f"{where}: needs a stage name")
        elif stage in seen:
            problems.append(f"{where}: stage {stage!r} appears twice")
        days = rule.get("days")
        if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
            problems.append(f"{where}: days must be a positive whole number")
        if rule.get("unit") not in UNITS:
            problems.append(f"{where}: unit must be 'calendar' or 'working'")
        after = rule.get("after")
        if not isinstance(rule.get("extension", False), bool):
            problems.append(f"{where}: 'extension' must be true or false")
        if after is not None and after not in seen:
            problems.append(f"{where}: 'after' must name an earlier stage or 'filed'")
        if isinstance(stage, str):
            seen.add(stage)
    return problems


def deadlines(
    rules, filed_on: datetime.date, events: dict[str, datetime.date] | None = None
) -> list[Deadline]:
    """Each stage's due date for a filing made on `filed_on`.

    `events` maps a stage to the day it actually happened (for example the
    day the body accepted the complaint): a later stage runs from that day
    instead of from the earlier stage's due date.
    """
    events = events or {}
    anchors: dict[str, tuple[datetime.date, bool]] = {"filed": (filed_on, False)}
    result = []
    previous = "filed"
    for rule in rules or []:
        after = rule.get("after") or previous
        start, inherited = anchors.get(after, (filed_on, False))
        count = add_days(start, int(rule["days"]), rule["unit"])
        approximate = count.approximate or inherited
        result.append(
            Deadline(
                stage=rule["stage"],
                days=int(rule["days"]),
                unit=rule["unit"],
                start=start,
                due=count.due,
                approximate=approximate,
                after=after,
            )
        )
        happened = events.get(rule["stage"])
        anchors[rule["stage"]] = (
            (happened, False) if happened else (count.due, approximate)
        )
        previous = rule["stage"]
    return result


# --- Limitation period ------------------------------------------------------------


@dataclass(frozen=True)
class Limitation:
    started_on: datetime.date  # the day counting (re)started
    restarted: bool  # a written demand restarted it (art. 195)
    ends_on: datetime.date
    warn_from: datetime.date
    approximate: bool

    def days_left(self, today: datetime.date) -> int:
        return days_between(today, self.ends_on)

    def warning(self, today: datetime.date) -> bool:
        return today >= self.warn_from

    def expired(self, today: datetime.date) -> bool:
        return today > self.ends_on


def limitation(harm_known_on: datetime.date | None, demands=()) -> Limitation | None:
    """The 3-year limitation period, or None without the date of knowledge.

    Counting starts the day the user learnt of the harm (民法典 art. 188)
    and starts again from each written demand to the respondent made on or
    after that day (art. 195 (1)); the latest one counts.
    """
    if harm_known_on is None:
        return None
    later = [d for d in demands if d and d >= harm_known_on]
    started_on = max(later) if later else harm_known_on
    end = next_working_day_from(add_years(started_on, LIMITATION_YEARS))
    return Limitation(
        started_on=started_on,
        restarted=bool(later),
        ends_on=end.due,
        warn_from=end.due - datetime.timedelta(days=LIMITATION_WARNING_DAYS),
        approximate=end.approximate,
    )


# --- Where a filing stands ----------------------------------------------------------


@dataclass(frozen=True)
class FilingClock:
    """A filing's deadlines and the one that counts now."""

    deadlines: list[Deadline]
    # The deadline the body must meet next (None when it has answered in
    # full, or the channel has no clock).
    current: Deadline | None
    # The first deadline (to answer or accept): the measure of timeliness.
    first_due_on: datetime.date | None

    @property
    def approximate(self) -> bool:
        return any(d.approximate for d in self.deadlines)

    def days_left(self, today: datetime.date) -> int | None:
        """Days until the current deadline (negative: days overdue)."""
        if self.current is None:
            return None
        return days_between(today, self.current.due)

    def overdue(self, today: datetime.date) -> bool:
        left = self.days_left(today)
        return left is not None and left < 0


def filing_clock(
    rules,
    sent_on: datetime.date,
    *,
    accepted_on: datetime.date | None = None,
    answered: bool = False,
    in_progress: bool = False,
) -> FilingClock:
    """The deadlines of a filing sent on `sent_on` under a channel's `rules`.

    `accepted_on`: the day the body acknowledged or accepted it (the first
    stage happened then; later stages run from it). `answered`: the body
    gave its final answer (nothing is due any more). `in_progress`: the body
    accepted it and is handling it (the last stage is what is due).
    """
    rules = list(rules or [])
    events = {rules[0]["stage"]: accepted_on} if rules and accepted_on else {}
    items = deadlines(rules, sent_on, events)
    first = items[0].due if items else None
    if answered or not items:
        current = None
    elif accepted_on or in_progress:
        # The first stage is done: the next stage that is not an extension
        # the body may take (with reasons) is what is due.
        later = [
            d
            for d, rule in zip(items[1:], rules[1:], strict=True)
            if not rule.get("extension")
        ]
        current = later[0] if later else None
    else:
        current = items[0]
    return FilingClock(items, current, first)


def clock_for(filing: Filing) -> FilingClock:
    """The clock of a recorded filing: its channel's rules from the day it
    was sent, with what the body has done since. (The channel is read from
    the filing: load it with `select_related("channel")` in lists.)"""
    return filing_clock(
        filing.channel.clock_rules,
        filing.sent_on,
        accepted_on=filing.accepted_on,
        answered=filing.is_answered,
        in_progress=filing.in_progress,
    )


# --- Names of stages, and a case's limitation ------------------------------------


def stage_label(stage: str) -> str:
    """A stage of a channel's clock in words (the key itself if unknown)."""
    from django.utils.translation import gettext as _

    labels = {
        "reply": _("Answer"),
        "institution_reply": _("Institution's answer"),
        "institution_reply_extended": _("Institution's answer, at the latest"),
        "acceptance_notice": _("Notice of acceptance"),
        "investigation": _("Investigation"),
        "investigation_extended": _("Investigation, at the latest"),
        "accept_or_refuse": _("Decision to accept or refuse"),
        "mediation": _("End of mediation"),
        "acceptance": _("Decision to accept"),
        "docketing": _("Decision to docket the case"),
    }
    return str(labels.get(stage, stage.replace("_", " ")))


def case_limitation(complaint, filings) -> Limitation | None:
    """The limitation period of a case: from the day the user learnt of the
    harm, restarted by each written demand sent to the institution itself
    (a filing to the institution channel, by a written method)."""
    demands = [
        f.sent_on
        for f in filings
        if f.channel.kind == "institution" and f.is_written_demand
    ]
    return limitation(complaint.harm_known_on, demands)
