"""Settings and business profiles: the contract's variables, TOML and YAML profiles."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from hvac_agent.config import BusinessProfile, Settings, load_profile

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "business.toml"


def test_demo_profile_matches_the_contract() -> None:
    p = load_profile(None)
    assert p.name == "Comfort Zone Heating & Air" and p.timezone == "America/Chicago"
    assert [w.label for w in p.windows] == ["08:00-12:00", "12:00-16:00"]
    assert p.technicians_per_window == 3 and p.dispatch_fee == 89
    assert (p.transfer_number, p.oncall_number) == ("+15125550100", "+15125550111")
    assert p.serves_zip("78701") and p.serves_zip("78799") and not p.serves_zip("78800")
    assert not p.serves_zip("90210") and not p.serves_zip("7870")
    assert p.is_open_on(dt.date(2026, 12, 5)) and not p.is_open_on(dt.date(2026, 12, 6))  # Sat / Sun


def test_toml_and_yaml_profiles_load(tmp_path: Path) -> None:
    toml = load_profile(EXAMPLE)
    christmas = toml.holiday_on(dt.date(2026, 12, 25))
    assert christmas is not None and christmas.name == "Christmas Day" and not toml.is_open_on(christmas.date)
    assert dt.date(2027, 1, 1) in toml.closed_dates and not toml.is_open_on(dt.date(2027, 1, 1))
    yaml_file = tmp_path / "biz.yaml"
    yaml_file.write_text(
        "name: Polar Air\ntimezone: America/Denver\nservice_zips: ['80202', '80210-80219']\n"
        "windows: [{start: '07:00', end: '10:00'}]\ndispatch_fee: 79\ntechnicians_per_window: 1\n"
    )
    y = load_profile(yaml_file)
    assert y.name == "Polar Air" and y.dispatch_fee == 79 and y.windows[0].label == "07:00-10:00"
    assert y.serves_zip("80215") and y.serves_zip("80202") and not y.serves_zip("80203")


@pytest.mark.parametrize(
    "bad",
    [
        {"timezone": "Mars/Olympus"},
        {"service_zips": ["ABCDE"]},
        {"windows": [{"start": "12:00", "end": "08:00"}]},
        {"business_days": ["funday"]},
        {"dispatch_fee": -1},
    ],
)
def test_invalid_profiles_are_refused_with_a_clear_error(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        BusinessProfile.model_validate(bad)


def test_settings_read_the_contract_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HVAC_DATABASE_URL", "postgresql://db/x")
    monkeypatch.setenv("HVAC_VOICE_MODE", "stream")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "tok")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.database_url == "postgresql://db/x" and s.voice_mode == "stream"
    assert s.llm_api_key == "sk-test" and s.llm_enabled and s.twilio_auth_token == "tok"
    assert s.effective_public_url("0.0.0.0", 9000) == "http://0.0.0.0:9000"


def test_the_business_greeting_replaces_the_short_default() -> None:
    from pathlib import Path

    from hvac_agent.config import BusinessProfile, load_profile
    from hvac_agent.dialogue import scripts

    default = scripts.greeting(BusinessProfile())
    assert "virtual assistant" in default and "gas" in default  # disclosure and the emergency hint
    assert len(default.split()) <= 20  # about six seconds of speech
    example = load_profile(Path(__file__).resolve().parents[1] / "examples" / "business.toml")
    assert example.greeting and scripts.greeting(example) == example.greeting
    own = BusinessProfile(greeting="Hi, this is Ace Air's virtual assistant. How can I help?")
    assert scripts.greeting(own) == "Hi, this is Ace Air's virtual assistant. How can I help?"
