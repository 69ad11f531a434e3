"""Calendar arithmetic of schedules: a frequency's step, its next boundary, the period a run covers."""

import calendar
from datetime import datetime, time, timedelta

from services.report.models import Frequency


def step(moment: datetime, frequency: Frequency | str, times: int = 1) -> datetime:
    """`moment` moved `times` frequencies on (or back, for a negative `times`); a month keeps the day,
    or the month's last one (Jan 31 + 1 month = Feb 28)."""
    if frequency == Frequency.DAILY:
        return moment + timedelta(days=times)
    if frequency == Frequency.WEEKLY:
        return moment + timedelta(weeks=times)
    months = moment.year * 12 + moment.month - 1 + times
    year, month = divmod(months, 12)
    month += 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def next_boundary(now: datetime, frequency: Frequency | str) -> datetime:
    """The first run of a schedule that names none: the next midnight (UTC), Monday or first of a month."""
    midnight = datetime.combine(now.date(), time(), tzinfo=now.tzinfo) + timedelta(days=1)
    if frequency == Frequency.DAILY:
        return midnight
    if frequency == Frequency.WEEKLY:
        return midnight + timedelta(days=(7 - midnight.weekday()) % 7)
    return step(midnight.replace(day=1), Frequency.MONTHLY) if midnight.day != 1 else midnight


def covered(run_at: datetime, frequency: Frequency | str) -> tuple[datetime, datetime]:
    """The period a run at `run_at` reports on: one frequency up to the run."""
    return step(run_at, frequency, -1), run_at


def after(run_at: datetime, frequency: Frequency | str, now: datetime) -> datetime:
    """The run after `run_at` that is still to come: runs missed while nothing ran are skipped, the
    report made now covers the last of them."""
    following = step(run_at, frequency)
    while following <= now:
        following = step(following, frequency)
    return following
