"""Pure pieces of the console: variant assignment, experiment rules, the interval, the softphone's
start rewriting, the session cookie, the profile editor's validation and the SVG charts."""

from __future__ import annotations

from collections import Counter

import orjson
import pytest
from pydantic import ValidationError

from hvac_agent.analytics.rollup import percentiles, wilson_interval
from hvac_agent.analytics.variants import Experiment, Variant
from hvac_agent.config import BusinessProfile
from hvac_agent.console.access import new_session, session_valid
from hvac_agent.console.experiments import end_experiment
from hvac_agent.console.plots import Series, horizontal_bars, stacked_bars
from hvac_agent.console.profile_edit import InvalidProfile, parse_profile, profile_toml
from hvac_agent.console.softphone import own_start


def _experiment(weights: tuple[int, int] = (1, 1)) -> Experiment:
    return Experiment(
        name="t1",
        variants=[
            Variant(name="a", weight=weights[0]),
            Variant(name="b", weight=weights[1], greeting="Hi, virtual assistant."),
        ],
    )


def test_assignment_is_sticky_and_follows_the_weights() -> None:
    experiment = _experiment((1, 3))
    callers = [f"+1512555{n:04d}" for n in range(4000)]
    first = [experiment.assign(c).name for c in callers]
    assert first == [experiment.assign(c).name for c in callers]  # the same caller, the same arm
    share = Counter(first)["b"] / len(callers)
    assert 0.70 < share < 0.80
    assert {_experiment((0, 1)).assign(c).name for c in callers[:200]} == {"b"}  # weight 0: nobody


def test_experiment_rules_are_checked_when_the_profile_loads() -> None:
    with pytest.raises(ValidationError, match="unique"):
        Experiment(name="t", variants=[Variant(name="a"), Variant(name="a")])
    with pytest.raises(ValidationError, match="only one experiment can run"):
        BusinessProfile(experiments=[_experiment(), _experiment().model_copy(update={"name": "t2"})])
    with pytest.raises(ValidationError):
        Variant(name="bad name with spaces")


def test_ending_a_test_makes_the_winner_the_profile_and_keeps_the_record() -> None:
    profile = BusinessProfile(experiments=[_experiment()])
    ended = end_experiment(profile, "t1", "b")
    assert ended.greeting == "Hi, virtual assistant."
    assert ended.experiments[0].status == "ended" and ended.experiments[0].winner == "b"
    with pytest.raises(ValueError, match="already ended"):
        end_experiment(ended, "t1", "a")
    with pytest.raises(ValueError, match="no variant"):
        end_experiment(profile, "t1", "c")
    assert parse_profile(profile_toml(ended)) == ended  # what the editor writes, it reads back


def test_wilson_interval_and_percentiles() -> None:
    assert wilson_interval(0, 0) is None
    low, high = wilson_interval(5, 10)  # type: ignore[misc]
    assert low == pytest.approx(0.2366, abs=1e-3) and high == pytest.approx(0.7634, abs=1e-3)
    low, high = wilson_interval(0, 20)  # type: ignore[misc]
    assert low == 0.0 and 0.15 < high < 0.17  # never a zero-width interval at 0 %
    assert percentiles([]).p50_ms is None
    assert percentiles(list(range(1, 101))).p50_ms == 50.5


def test_softphone_start_is_renamed_to_the_servers_call_and_media_passes_untouched() -> None:
    start = orjson.dumps(
        {
            "event": "start",
            "streamSid": "MZ1",
            "start": {
                "streamSid": "MZ1",
                "callSid": "CAsomeone-elses",
                "customParameters": {"caller": "+15125550999"},
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
        }
    ).decode()
    rewritten = orjson.loads(own_start(start, "WBmine", "+15125550123"))
    assert rewritten["start"]["callSid"] == "WBmine"
    assert rewritten["start"]["customParameters"] == {"caller": "+15125550123", "channel": "softphone"}
    media = '{"event":"media","streamSid":"MZ1","media":{"payload":"AAAA"}}'
    assert own_start(media, "WBmine", None) is media


def test_session_cookie_is_signed_with_the_token_and_expires() -> None:
    value = new_session("secret", now_s=1000.0)
    assert session_valid("secret", value, now_s=2000.0)
    assert not session_valid("other-token", value, now_s=2000.0)
    assert not session_valid("secret", value, now_s=1000.0 + 8 * 86400)
    expires, _, signature = value.partition(".")
    assert not session_valid("secret", f"{int(expires) + 999999}.{signature}", now_s=2000.0)


def test_profile_editor_names_each_problem() -> None:
    with pytest.raises(InvalidProfile) as caught:
        parse_profile('dispatch_fee = -1\ntimezone = "Mars/Olympus"\n')
    where = {p.where for p in caught.value.problems}
    assert {"dispatch_fee", "timezone"} <= where


def test_charts_are_accessible_images_that_state_their_numbers() -> None:
    chart = stacked_bars("Calls", ["Dec 01", "Dec 02"], [Series("booked", [2, 0]), Series("message", [1, 3])])
    assert 'role="img"' in chart and "<title" in chart
    assert "Dec 01: booked 2, message 1" in chart and "Dec 02: message 3" in chart
    bars = horizontal_bars("Funnel <b>", [("Greeted", 4), ("Booked", 1)])
    assert "Funnel &lt;b&gt;" in bars and "Greeted: 4; Booked: 1" in bars  # labels escaped
