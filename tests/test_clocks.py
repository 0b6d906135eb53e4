"""Deadlines in China's working calendar (with 调休 make-up days) and in
calendar days, chained stages, and the limitation period, on known dates."""

import datetime

import pytest

from complaints import clocks

D = datetime.date


# --- The calendar ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        (D(2026, 2, 14), True, "Saturday made a working day before Spring Festival"),
        (D(2026, 2, 17), False, "Spring Festival"),
        (D(2026, 2, 23), False, "last day of the Spring Festival break (a Monday)"),
        (D(2026, 2, 28), True, "Saturday made a working day after Spring Festival"),
        (D(2026, 9, 20), True, "Sunday made a working day before National Day"),
        (D(2026, 10, 1), False, "National Day"),
        (D(2026, 10, 7), False, "last day of the National Day break (a Wednesday)"),
        (D(2026, 10, 10), True, "Saturday made a working day after National Day"),
        (D(2026, 10, 11), False, "an ordinary Sunday"),
        (D(2026, 1, 4), True, "Sunday made a working day after New Year"),
        (D(2026, 11, 26), True, "an ordinary Thursday"),
    ],
)
def test_working_days_follow_the_holiday_schedule(day, working, why):
    assert clocks.is_working_day(day) is working, why


def test_holiday_names_come_from_the_package():
    assert clocks.holiday_name(D(2026, 2, 17)) == "Spring Festival"
    assert clocks.holiday_name(D(2026, 10, 1)) == "National Day"
    assert clocks.holiday_name(D(2026, 11, 26)) is None


def test_beyond_the_known_years_weekends_only_and_it_says_so():
    first, last = clocks.known_years()
    assert first <= 2026 <= last
    beyond = D(last + 1, 10, 1)  # National Day, but the schedule is not known
    assert not clocks.is_known(beyond)
    assert clocks.is_working_day(beyond) is (beyond.weekday() < 5)
    assert clocks.holiday_name(beyond) is None


# --- Working days -----------------------------------------------------------------------


def test_seven_working_days_across_spring_festival_count_both_make_up_saturdays():
    # Thu 12 Feb: Fri 13 (1), Sat 14 make-up (2), 15-23 off, 24-27 (3-6),
    # Sat 28 make-up (7).
    count = clocks.add_working_days(D(2026, 2, 12), 7)
    assert count == clocks.Count(D(2026, 2, 28), approximate=False)


def test_five_working_days_across_national_day():
    # Wed 30 Sep: 1-7 Oct off, Thu 8 (1), Fri 9 (2), Sat 10 make-up (3),
    # Sun 11 off, Mon 12 (4), Tue 13 (5).
    assert clocks.add_working_days(D(2026, 9, 30), 5).due == D(2026, 10, 13)


def test_working_days_across_a_year_boundary_and_new_year():
    # Tue 30 Dec 2025: Wed 31 (1), 1-3 Jan off, Sun 4 Jan make-up (2),
    # Mon 5 (3), Tue 6 (4), Wed 7 (5).
    count = clocks.add_working_days(D(2025, 12, 30), 5)
    assert count == clocks.Count(D(2026, 1, 7), approximate=False)


def test_the_start_day_is_not_counted():
    # 民法典 art. 201: a Monday filing plus one working day is the Tuesday.
    assert clocks.add_working_days(D(2026, 11, 23), 1).due == D(2026, 11, 24)
    assert clocks.add_working_days(D(2026, 11, 23), 0).due == D(2026, 11, 23)


def test_working_days_into_an_unknown_year_are_marked_approximate():
    _first, last = clocks.known_years()
    count = clocks.add_working_days(D(last, 12, 24), 7)
    assert count.due.year == last + 1
    assert count.approximate is True


# --- Calendar days --------------------------------------------------------------------


def test_calendar_days_ending_on_national_day_move_to_the_next_working_day():
    # 6 Sep + 25 days = 1 Oct (holiday until 7 Oct): the period ends 8 Oct
    # (民法典 art. 203).
    assert clocks.add_calendar_days(D(2026, 9, 6), 25).due == D(2026, 10, 8)


def test_calendar_days_ending_on_a_make_up_sunday_stay_there():
    # 20 Sep 2026 is a Sunday made a working day: not a rest day.
    assert clocks.add_calendar_days(D(2026, 9, 19), 1).due == D(2026, 9, 20)


def test_calendar_days_ending_on_new_year_run_to_the_make_up_sunday():
    # 2 Dec 2025 + 30 days = 1 Jan 2026; 1-3 Jan are holidays and Sunday
    # 4 Jan is a working day.
    assert clocks.add_calendar_days(D(2025, 12, 2), 30).due == D(2026, 1, 4)


def test_calendar_and_working_days_differ():
    start = D(2026, 9, 28)
    assert clocks.add_days(start, 7, clocks.CALENDAR).due == D(2026, 10, 8)
    assert clocks.add_days(start, 7, clocks.WORKING).due == D(2026, 10, 13)


def test_negative_days_and_unknown_units_are_refused():
    with pytest.raises(ValueError):
        clocks.add_working_days(D(2026, 1, 5), -1)
    with pytest.raises(ValueError):
        clocks.add_days(D(2026, 1, 5), 3, "weeks")


# --- Chained stages -----------------------------------------------------------------------

RULES_12315 = [
    {"stage": "accept_or_refuse", "days": 7, "unit": "working"},
    {"stage": "mediation", "days": 45, "unit": "working"},
]


def test_12315_stages_chain_acceptance_then_mediation():
    accept, mediation = clocks.deadlines(RULES_12315, D(2026, 9, 28))
    assert (accept.stage, accept.start, accept.due) == (
        "accept_or_refuse",
        D(2026, 9, 28),
        D(2026, 10, 13),
    )
    # Mediation's 45 working days run from the (expected) acceptance.
    assert mediation.start == D(2026, 10, 13)
    assert mediation.after == "accept_or_refuse"
    assert mediation.due == clocks.add_working_days(D(2026, 10, 13), 45).due


def test_a_stage_runs_from_the_day_the_earlier_one_actually_happened():
    _accept, mediation = clocks.deadlines(
        RULES_12315, D(2026, 9, 28), events={"accept_or_refuse": D(2026, 10, 9)}
    )
    assert mediation.start == D(2026, 10, 9)


def test_an_extended_stage_can_run_from_the_filing():
    rules = [
        {"stage": "reply", "days": 15, "unit": "calendar"},
        {"stage": "reply_extended", "days": 60, "unit": "calendar", "after": "filed"},
    ]
    reply, extended = clocks.deadlines(rules, D(2026, 11, 2))
    assert reply.due == D(2026, 11, 17)
    assert extended.start == D(2026, 11, 2)
    assert extended.due == clocks.add_calendar_days(D(2026, 11, 2), 60).due


@pytest.mark.parametrize(
    ("rules", "fragment"),
    [
        ("x", "must be a list"),
        ([{"days": 3, "unit": "working"}], "stage name"),
        ([{"stage": "a", "days": 0, "unit": "working"}], "positive"),
        ([{"stage": "a", "days": 3, "unit": "weeks"}], "unit"),
        ([{"stage": "a", "days": 3, "unit": "working", "after": "b"}], "earlier"),
        (
            [
                {"stage": "a", "days": 3, "unit": "working"},
                {"stage": "a", "days": 3, "unit": "working"},
            ],
            "twice",
        ),
    ],
)
def test_bad_clock_rules_are_named(rules, fragment):
    problems = clocks.validate_rules(rules)
    assert any(fragment in p for p in problems), problems


def test_the_seeded_channel_rules_are_valid():
    from complaints.reference_data import CHANNELS

    for channel in CHANNELS:
        assert clocks.validate_rules(channel["clock_rules"]) == [], channel["code"]


# --- Limitation period ---------------------------------------------------------------------


def test_limitation_is_three_years_from_knowledge():
    period = clocks.limitation(D(2025, 8, 12))
    assert period.started_on == D(2025, 8, 12)
    assert period.restarted is False
    # 12 Aug 2028 is a Saturday: the period ends on Monday 14 Aug (art. 203).
    assert period.ends_on == D(2028, 8, 14)
    assert period.warn_from == period.ends_on - datetime.timedelta(days=90)


def test_limitation_restarts_from_the_latest_written_demand():
    period = clocks.limitation(
        D(2025, 3, 10), demands=[D(2025, 6, 2), D(2026, 5, 6), D(2024, 1, 1)]
    )
    assert period.started_on == D(2026, 5, 6)
    assert period.restarted is True
    assert period.ends_on == D(2029, 5, 7)  # 6 May 2029 is a Sunday


def test_a_demand_before_the_harm_was_known_does_not_restart_it():
    period = clocks.limitation(D(2025, 3, 10), demands=[D(2025, 1, 5)])
    assert period.started_on == D(2025, 3, 10)
    assert period.restarted is False


def test_limitation_from_29_february_ends_on_28_february_or_the_next_working_day():
    # 民法典 art. 202: no 29 Feb in 2027, so the last day of February
    # (Sunday 28 Feb 2027), then art. 203: the next working day.
    period = clocks.limitation(D(2024, 2, 29))
    assert period.ends_on == D(2027, 3, 1)
    assert period.approximate is True  # 2027's holidays are not known yet


def test_limitation_warning_and_expiry():
    period = clocks.limitation(D(2025, 8, 12))
    assert not period.warning(period.warn_from - datetime.timedelta(days=1))
    assert period.warning(period.warn_from)
    assert period.days_left(period.ends_on) == 0
    assert not period.expired(period.ends_on)
    assert period.expired(period.ends_on + datetime.timedelta(days=1))


def test_no_limitation_without_the_date_of_knowledge():
    assert clocks.limitation(None) is None


# --- A filing's clock --------------------------------------------------------------------


def test_an_unanswered_12315_filing_waits_for_acceptance():
    clock = clocks.filing_clock(RULES_12315, D(2026, 9, 28))
    assert clock.first_due_on == D(2026, 10, 13)
    assert clock.current.stage == "accept_or_refuse"
    assert clock.days_left(D(2026, 10, 10)) == 3
    assert not clock.overdue(D(2026, 10, 13))
    assert clock.overdue(D(2026, 10, 14))
    assert clock.days_left(D(2026, 10, 20)) == -7


def test_once_accepted_the_mediation_deadline_runs_from_the_acceptance():
    clock = clocks.filing_clock(RULES_12315, D(2026, 9, 28), accepted_on=D(2026, 9, 30))
    assert clock.current.stage == "mediation"
    assert clock.current.start == D(2026, 9, 30)
    assert clock.current.due == clocks.add_working_days(D(2026, 9, 30), 45).due
    # Timeliness is still measured against the first deadline.
    assert clock.first_due_on == D(2026, 10, 13)


def test_an_answered_filing_has_nothing_due():
    clock = clocks.filing_clock(RULES_12315, D(2026, 9, 28), answered=True)
    assert clock.current is None
    assert clock.days_left(D(2027, 1, 1)) is None
    assert not clock.overdue(D(2027, 1, 1))


def test_a_channel_without_a_clock_has_no_deadlines():
    clock = clocks.filing_clock([], D(2026, 9, 28))
    assert (
        clock.deadlines == [] and clock.current is None and clock.first_due_on is None
    )


def test_in_progress_the_normal_stage_counts_not_the_extension():
    rules = [
        {"stage": "acceptance_notice", "days": 5, "unit": "working"},
        {"stage": "investigation", "days": 30, "unit": "working"},
        {
            "stage": "investigation_extended",
            "days": 60,
            "unit": "working",
            "after": "acceptance_notice",
            "extension": True,
        },
    ]
    clock = clocks.filing_clock(rules, D(2026, 3, 2), in_progress=True)
    assert clock.current.stage == "investigation"
    assert [d.stage for d in clock.deadlines][-1] == "investigation_extended"
