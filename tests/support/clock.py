"""For tests that count within a period of the wall clock ("today", a rate-limit window): a
count that straddled the period's end would start again in the next one."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from datetime import time as clock_time


def clear_of_window_end(window_seconds: float, seconds: float) -> None:
    """Sleep into the next fixed window (counted from the epoch, as advocacy/ratelimit.py
    counts) if the current one ends within `seconds`."""
    left = window_seconds - time.time() % window_seconds
    if left < seconds:
        time.sleep(left + 0.1)


def clear_of_midnight(seconds: float) -> None:
    """Sleep past midnight (settings.TIME_ZONE) if it is less than `seconds` away."""
    from django.utils import timezone

    now = timezone.localtime()
    midnight = datetime.combine(now.date() + timedelta(days=1), clock_time.min, now.tzinfo)
    left = (midnight - now).total_seconds()
    if left < seconds:
        time.sleep(left + 0.1)
