"""The operations settings (issue 9) are fields of the one Settings object, with working defaults."""

import pytest

from keyprojects import settings


def test_defaults_and_values():
    s = settings.load({})
    assert (s.deadline_days, s.poke_seconds, s.alert_to, s.alert_from) == (15, 1800, (), None)
    s = settings.load({"KP_LIST_DEADLINE_DAYS": "30", "KP_SENSOR_POKE_SECONDS": "60",
                       "KP_ALERT_TO": "a@x.org, b@x.org", "KP_ALERT_FROM": "kp@x.org"})
    assert (s.deadline_days, s.poke_seconds, s.alert_to, s.alert_from) == (30, 60, ("a@x.org", "b@x.org"),
                                                                           "kp@x.org")


@pytest.mark.parametrize("env", [{"KP_LIST_DEADLINE_DAYS": "two weeks"}, {"KP_LIST_DEADLINE_DAYS": "-1"},
                                 {"KP_SENSOR_POKE_SECONDS": "0"}])
def test_bad_values_are_refused_with_the_variable_named(env):
    with pytest.raises(ValueError, match=next(iter(env))):
        settings.load(env)
