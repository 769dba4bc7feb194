"""Hypothesis settings profiles: a deterministic default for the README's test command, and the long "fuzz" runs CI adds.

`HYPOTHESIS_PROFILE=fuzz` selects the fuzz profile (`.ci/run` runs it as a second step, on the
property tests only: `-m hypothesis`). Tests state their full example count through `examples()`,
so the same decorator gives the 2,000-example run under "fuzz" and a tenth of it by default.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE_ENV = "HYPOTHESIS_PROFILE"
DEFAULT = "default"
FUZZ = "fuzz"
DEFAULT_SHARE = 10   # the default profile runs 1/DEFAULT_SHARE of each full count …
DEFAULT_FLOOR = 20   # … but never fewer than this (or than the full count, when that is smaller)

# Hypothesis's own default profile, taken before ours replaces it under the same name: the fuzz
# profile inherits its example database (a profile inherits from the one current when it is
# registered, and under CI=true that would be Hypothesis's "ci" profile, which has none).
_BUILTIN = settings.get_profile(DEFAULT)

# Both profiles drop Hypothesis's two wall-clock checks: the 200 ms per-example deadline and the
# too_slow health check. On two cores shared with other jobs either can fail a correct test.
_NO_CLOCK = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def profile_name() -> str:
    return os.environ.get(PROFILE_ENV, "").strip() or DEFAULT


def fuzzing() -> bool:
    return profile_name() == FUZZ


def examples(full: int) -> int:
    """How many examples a test written for `full` runs under the active profile."""
    if fuzzing():
        return full
    return min(full, max(DEFAULT_FLOOR, full // DEFAULT_SHARE))


def load() -> None:
    """Register both profiles and load the one the environment names (an unknown name fails loudly)."""
    # Default: the same examples on every run and in every checkout (a fixed seed, no example
    # database), so a red run is reproducible and never depends on what an earlier run found;
    # tests without their own count get Hypothesis's usual 100.
    settings.register_profile(DEFAULT, max_examples=100, derandomize=True, database=None, **_NO_CLOCK)
    # Fuzz: fresh random examples each run, failures saved in .hypothesis/ and printed as a
    # reproduction blob; tests without their own count get 1,000.
    settings.register_profile(FUZZ, parent=_BUILTIN, max_examples=1000, derandomize=False, print_blob=True,
                              **_NO_CLOCK)
    settings.load_profile(profile_name())
