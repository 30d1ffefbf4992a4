"""Vietnam's lunar calendar (âm lịch), computed for UTC+7 by the lunar-vn package.

Vietnam's calendar is reckoned at the meridian of UTC+7, China's at UTC+8: some years the two
start a month on different days (Tết of 1985 and 2007), so a Chinese-calendar package is not
used here.
"""

from __future__ import annotations

from datetime import date

from lunar_vn import LunarDate, lunar_to_solar, solar_to_lunar

__all__ = ["VIETNAM_UTC_OFFSET", "lunar_of", "solar_of"]

VIETNAM_UTC_OFFSET = 7.0


def lunar_of(day: date) -> tuple[int, int, bool]:
    """The lunar (day, month, leap month?) of a solar date."""
    lunar = solar_to_lunar(day, time_zone=VIETNAM_UTC_OFFSET)
    return lunar.day, lunar.month, lunar.leap


def solar_of(day: int, month: int, lunar_year: int) -> date | None:
    """The solar date of a lunar day in a lunar year (regular month); None if it does not exist.

    Day 30 exists only in a long month, and the package answers every year from 1900 to 2100.
    """
    try:
        found = lunar_to_solar(LunarDate(day, month, lunar_year), time_zone=VIETNAM_UTC_OFFSET)
    except ValueError:
        return None
    return found if lunar_of(found) == (day, month, False) else None
