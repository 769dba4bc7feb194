"""The Hypothesis profiles (tests/profiles.py): example counts per profile, and no wall-clock checks in either."""
from __future__ import annotations

from hypothesis import HealthCheck, settings

from tests import profiles


def test_examples_scale_with_the_profile(monkeypatch):
    monkeypatch.delenv(profiles.PROFILE_ENV, raising=False)
    assert [profiles.examples(n) for n in (2000, 500, 300, 80, 20, 5)] == [200, 50, 30, 20, 20, 5]
    monkeypatch.setenv(profiles.PROFILE_ENV, profiles.FUZZ)
    assert [profiles.examples(n) for n in (2000, 500, 300, 80, 20, 5)] == [2000, 500, 300, 80, 20, 5]


def test_the_active_profile_has_no_clock_and_the_default_is_reproducible():
    active = settings.default
    assert active.deadline is None and HealthCheck.too_slow in active.suppress_health_check
    if profiles.fuzzing():
        assert not active.derandomize and active.database is not None and active.max_examples == 1000
    else:
        assert active.derandomize and active.database is None and active.max_examples == 100


def test_both_profiles_are_registered_and_differ_where_meant():
    default, fuzz = settings.get_profile(profiles.DEFAULT), settings.get_profile(profiles.FUZZ)
    assert default.deadline is None and fuzz.deadline is None
    assert default.derandomize and default.database is None
    assert not fuzz.derandomize and fuzz.database is not None and fuzz.print_blob
