"""The calendar of report schedules: steps, first runs, covered periods, missed runs skipped."""

from datetime import UTC, datetime

from services.report.periods import after, covered, next_boundary, step


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_month_on_keeps_the_day_or_the_months_last() -> None:
    assert step(at(2026, 1, 31, 8), "MONTHLY") == at(2026, 2, 28, 8)
    assert step(at(2026, 12, 15), "MONTHLY") == at(2027, 1, 15)
    assert step(at(2026, 3, 31), "MONTHLY", -1) == at(2026, 2, 28)
    assert step(at(2026, 3, 31), "WEEKLY") == at(2026, 4, 7)


def test_first_runs_fall_on_the_next_midnight_monday_or_first_of_the_month() -> None:
    thursday = at(2026, 11, 26, 14, 30)
    assert next_boundary(thursday, "DAILY") == at(2026, 11, 27)
    assert next_boundary(thursday, "WEEKLY") == at(2026, 11, 30)
    assert next_boundary(thursday, "MONTHLY") == at(2026, 12, 1)
    assert next_boundary(at(2026, 11, 30, 23), "MONTHLY") == at(2026, 12, 1)


def test_a_run_covers_one_frequency_and_missed_runs_are_skipped() -> None:
    assert covered(at(2026, 12, 1), "MONTHLY") == (at(2026, 11, 1), at(2026, 12, 1))
    assert after(at(2026, 11, 20), "DAILY", now=at(2026, 11, 26, 14)) == at(2026, 11, 27)
    assert after(at(2026, 11, 26), "WEEKLY", now=at(2026, 11, 26, 14)) == at(2026, 12, 3)
