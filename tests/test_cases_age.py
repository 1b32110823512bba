"""A child's age where a name must not appear: initials and an age a reader takes in at once."""

from __future__ import annotations

from datetime import date

import pytest

from safeguarding.cases import age_label
from safeguarding.referral import Child


@pytest.mark.parametrize(
    ("born", "on", "label"),
    [
        (date(2026, 11, 20), date(2026, 11, 24), "JMS, under 1 month"),
        (date(2026, 10, 20), date(2026, 11, 24), "JMS, 1 month"),
        (date(2026, 1, 25), date(2026, 11, 24), "JMS, 9 months"),
        (date(2025, 11, 24), date(2026, 11, 24), "JMS, 1 year"),
        (date(2020, 3, 1), date(2026, 11, 24), "JMS, 6 years"),
    ],
)
def test_age_labels(born: date, on: date, label: str) -> None:
    assert age_label(Child(name="JMS", date_of_birth=born), on) == label
