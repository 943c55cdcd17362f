"""Settings (environment + `.env`) and the business profile.

Every business fact the agent speaks or enforces — service area, windows, capacity, fee, numbers —
comes from a `BusinessProfile`; nothing about the business is hard-coded in the logic.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AliasChoices, BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hvac_agent.analytics.variants import Experiment, check_experiments
from hvac_agent.business.calendar import (
    HHMM,
    WEEKDAYS,
    ArrivalWindow,
    CapacityOverride,
    Holiday,
    OfficeHours,
    WindowSpec,
    check_hhmm,
    weekday_key,
)
from hvac_agent.business.faq import Faq
from hvac_agent.business.jobs import JobType, job_named, pick_job
from hvac_agent.business.oncall import OnCallChain

__all__ = ["WEEKDAYS", "ArrivalWindow", "BusinessProfile", "Settings", "WindowSpec", "load_profile"]

_HHMM = HHMM  # kept for importers of the old name


class BusinessProfile(BaseModel):
    """What the office manager configures: who we are, where we go, when, and for how much."""

    name: str = "Comfort Zone Heating & Air"
    timezone: str = "America/Chicago"
    service_zips: list[str] = Field(default_factory=lambda: ["78701-78799"])
    windows: list[ArrivalWindow] = Field(
        default_factory=lambda: [
            ArrivalWindow(start="08:00", end="12:00"),
            ArrivalWindow(start="12:00", end="16:00"),
        ]
    )
    business_days: list[str] = Field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri", "sat"])
    technicians_per_window: int = Field(default=3, ge=0)
    dispatch_fee: int = Field(default=89, ge=0, description="whole dollars")
    transfer_number: str = "+15125550100"
    oncall_number: str = "+15125550111"
    closed_dates: list[dt.date] = Field(default_factory=list)
    booking_horizon_days: int = Field(default=21, ge=1)
    office_hours: str = "Monday through Saturday, 8 AM to 4 PM"
    # A window starting less than this many minutes from now is no longer offered.
    min_lead_minutes: int = Field(default=60, ge=0)
    # What the agent says when it answers; None → the short built-in greeting. Say that it is a
    # virtual assistant (the disclosure callers are owed) and keep it to a few seconds.
    greeting: str | None = Field(default=None, max_length=400)
    # The TwiML <Say> voice of gather mode (None: the built-in one), and extra conduct notes for
    # the LLM agent's system prompt; both are what an A/B test's variants may change.
    voice: str | None = Field(default=None, max_length=60)
    llm_instructions: str | None = Field(default=None, max_length=2000)
    # A/B tests (see analytics/variants.py); at most one runs at a time.
    experiments: list[Experiment] = Field(default_factory=list)
    # Answers to common questions (brands, financing, payment, licensing, warranty, discounts).
    faq: Faq = Field(default_factory=Faq)

    # ---- the calendar (business/calendar.py) ----
    # Per-weekday windows with their own technician counts and skills; a weekday listed here
    # replaces `windows` on that day (an empty list closes it), one not listed uses `windows` when
    # it is one of `business_days`.
    weekly_windows: dict[str, list[WindowSpec]] = Field(default_factory=dict)
    holidays: list[Holiday] = Field(default_factory=list)
    capacity_overrides: list[CapacityOverride] = Field(default_factory=list)
    # After this local time, today's windows are no longer offered (None: only min_lead_minutes).
    same_day_cutoff: str | None = None
    # When a person answers at the office; outside these hours the agent says it is after hours.
    office_hours_weekly: dict[str, OfficeHours] = Field(
        default_factory=lambda: {day: OfficeHours() for day in WEEKDAYS[:6]}
    )
    # ---- job types (business/jobs.py) ----
    units_per_technician: int = Field(default=1, ge=1)
    job_types: list[JobType] = Field(default_factory=list)
    # ---- the on-call chain (business/oncall.py); no numbers → just `oncall_number` ----
    oncall: OnCallChain = Field(default_factory=OnCallChain)
    # How long windows offered to (or chosen by) a caller stay held for that call.
    hold_minutes: int = Field(default=5, ge=1, le=60)

    @field_validator("weekly_windows")
    @classmethod
    def _weekly(cls, value: dict[str, list[WindowSpec]]) -> dict[str, list[WindowSpec]]:
        return {weekday_key(day): sorted(specs, key=lambda w: w.start) for day, specs in value.items()}

    @field_validator("office_hours_weekly")
    @classmethod
    def _office_days(cls, value: dict[str, OfficeHours]) -> dict[str, OfficeHours]:
        return {weekday_key(day): hours for day, hours in value.items()}

    @field_validator("same_day_cutoff")
    @classmethod
    def _cutoff(cls, value: str | None) -> str | None:
        return check_hhmm(value) if value else None

    @model_validator(mode="after")
    def _known_labels(self) -> BusinessProfile:
        labels = {w.label for w in self.windows} | {w.label for specs in self.weekly_windows.values() for w in specs}
        for override in self.capacity_overrides:
            if override.window is not None and override.window not in labels:
                raise ValueError(f"capacity override for unknown window {override.window!r}")
        names = [job.name for job in self.job_types]
        if len(names) != len(set(names)):
            raise ValueError("job type names must be unique")
        return self

    @field_validator("experiments")
    @classmethod
    def _experiments(cls, value: list[Experiment]) -> list[Experiment]:
        return check_experiments(value)

    @field_validator("business_days")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        days = [d.strip().lower()[:3] for d in value]
        bad = [d for d in days if d not in WEEKDAYS]
        if bad:
            raise ValueError(f"unknown weekday(s): {bad}")
        return days

    @field_validator("service_zips")
    @classmethod
    def _zips(cls, value: list[str]) -> list[str]:
        for item in value:
            if not re.fullmatch(r"\d{5}(-\d{5})?", item.strip()):
                raise ValueError(f"service zip must be 12345 or 12345-12399, got {item!r}")
        return [v.strip() for v in value]

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown timezone {value!r}") from error
        return value

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def business_weekdays(self) -> frozenset[int]:
        """Python weekday numbers (Monday = 0) the business dispatches on."""
        return frozenset(WEEKDAYS.index(d) for d in self.business_days)

    def serves_zip(self, zip_code: str) -> bool:
        zip_code = zip_code.strip()[:5]
        if not zip_code.isdigit() or len(zip_code) != 5:
            return False
        for item in self.service_zips:
            low, _, high = item.partition("-")
            if low <= zip_code <= (high or low):
                return True
        return False

    def window_by_label(self, label: str, day: dt.date | None = None) -> ArrivalWindow | None:
        """The window called `label` (on `day`, when given: that day's windows only)."""
        pool: list[ArrivalWindow] = (
            list(self.windows_on(day))
            if day is not None
            else [*self.windows, *(w for specs in self.weekly_windows.values() for w in specs)]
        )
        return next((w for w in pool if w.label == label), None)

    def holiday_on(self, day: dt.date) -> Holiday | None:
        found = next((h for h in self.holidays if h.date == day), None)
        if found is None and day in self.closed_dates:
            return Holiday(date=day)
        return found

    def windows_on(self, day: dt.date) -> list[WindowSpec]:
        """The arrival windows that exist on `day`, earliest first ([] when closed; not to be
        changed by the caller). Kept per day: every offer asks for each day of the booking horizon
        several times. An entry stands only while the calendar fields are the very objects it was
        built from (a copy of the profile with other windows, holidays or days builds its own)."""
        calendar = (self.windows, self.weekly_windows, self.holidays, self.closed_dates, self.business_days)
        kept = self._windows_by_day.get(day)
        if kept is not None and all(a is b for a, b in zip(kept[0], calendar, strict=True)):
            return kept[1]
        found = self._windows_on(day)
        if len(self._windows_by_day) >= 1024:  # a process running for years: past days go
            self._windows_by_day.clear()
        self._windows_by_day[day] = (calendar, found)
        return found

    @cached_property
    def _windows_by_day(self) -> dict[dt.date, tuple[tuple[object, ...], list[WindowSpec]]]:
        return {}

    def _windows_on(self, day: dt.date) -> list[WindowSpec]:
        if self.holiday_on(day) is not None:
            return []
        key = WEEKDAYS[day.weekday()]
        if key in self.weekly_windows:
            return self.weekly_windows[key]
        if day.weekday() not in self.business_weekdays:
            return []
        # Built without validation: the profile's windows were validated when it loaded (this runs
        # for every day of the booking horizon on every offer, and validation was most of its cost).
        return [
            WindowSpec.model_construct(start=w.start, end=w.end, technicians=None, skills={})
            for w in sorted(self.windows, key=lambda w: w.start)
        ]

    def is_open_on(self, day: dt.date) -> bool:
        return bool(self.windows_on(day))

    def technicians_on(self, day: dt.date, label: str) -> int:
        """Technicians working window `label` on `day`: a date override, else the weekday's count."""
        for override in self.capacity_overrides:
            if override.date == day and override.window == label:
                return override.technicians
        for override in self.capacity_overrides:
            if override.date == day and override.window is None:
                return override.technicians
        spec = next((w for w in self.windows_on(day) if w.label == label), None)
        if spec is None:
            return 0
        return self.technicians_per_window if spec.technicians is None else spec.technicians

    def capacity_units(self, day: dt.date, label: str) -> int:
        """What window `label` on `day` can take, in job units."""
        return self.technicians_on(day, label) * self.units_per_technician

    def skill_units(self, day: dt.date, label: str, skill: str) -> int:
        """Units of window `label` on `day` that technicians with `skill` bring (never more than
        the window's technicians)."""
        spec = next((w for w in self.windows_on(day) if w.label == label), None)
        skilled = spec.skills.get(skill, 0) if spec is not None else 0
        return min(skilled, self.technicians_on(day, label)) * self.units_per_technician

    def job_for(self, category: str | None, issue: str | None = None) -> JobType:
        """The job type of a caller's problem (business/jobs.py); a plain visit takes one
        technician's whole window."""
        return pick_job(self.job_types, category, issue, default_units=self.units_per_technician)

    def job_named(self, name: str | None) -> JobType:
        return job_named(self.job_types, name, default_units=self.units_per_technician)

    def office_open(self, at: dt.datetime) -> bool:
        """Whether a person answers at the office at `at` (aware); holidays are closed."""
        local = at.astimezone(self.tz)
        if self.holiday_on(local.date()) is not None:
            return False
        hours = self.office_hours_weekly.get(WEEKDAYS[local.weekday()])
        return hours is not None and hours.covers(local.time())

    @property
    def oncall_numbers(self) -> list[str]:
        """The on-call chain in dialling order."""
        return list(self.oncall.numbers) or [self.oncall_number]


def load_profile(path: str | Path | None) -> BusinessProfile:
    """Load a profile from TOML or YAML; `None` gives the built-in demo profile."""
    if not path:
        return BusinessProfile()
    file = Path(path)
    text = file.read_text(encoding="utf-8")
    if file.suffix.lower() in {".yaml", ".yml"}:
        data = yaml.safe_load(text) or {}
    else:
        data = tomllib.loads(text)
    if "business" in data and isinstance(data["business"], dict):
        data = data["business"]
    return BusinessProfile.model_validate(data)


VoiceMode = Literal["gather", "stream"]


class Settings(BaseSettings):
    """Runtime configuration: the contract's environment variables (and `.env`)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(default="sqlite:///./hvac_agent.db", validation_alias=AliasChoices("HVAC_DATABASE_URL"))
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("HVAC_REDIS_URL"))
    session_db_path: str = Field(default="./hvac_sessions.db", validation_alias=AliasChoices("HVAC_SESSION_DB"))
    public_url: str | None = Field(default=None, validation_alias=AliasChoices("HVAC_PUBLIC_URL"))
    twilio_auth_token: str | None = Field(default=None, validation_alias=AliasChoices("TWILIO_AUTH_TOKEN"))
    voice_mode: VoiceMode = Field(default="gather", validation_alias=AliasChoices("HVAC_VOICE_MODE"))
    business_file: str | None = Field(default=None, validation_alias=AliasChoices("HVAC_BUSINESS_FILE"))
    api_token: str | None = Field(default=None, validation_alias=AliasChoices("HVAC_API_TOKEN"))

    llm_base_url: str | None = Field(default=None, validation_alias=AliasChoices("HVAC_LLM_BASE_URL"))
    llm_api_key: str | None = Field(default=None, validation_alias=AliasChoices("HVAC_LLM_API_KEY", "OPENAI_API_KEY"))
    llm_model: str = Field(default="gpt-4o-mini", validation_alias=AliasChoices("HVAC_LLM_MODEL"))
    llm_fast_model: str | None = Field(default=None, validation_alias=AliasChoices("HVAC_LLM_FAST_MODEL"))

    elevenlabs_api_key: str | None = Field(default=None, validation_alias=AliasChoices("ELEVENLABS_API_KEY"))
    deepgram_api_key: str | None = Field(default=None, validation_alias=AliasChoices("DEEPGRAM_API_KEY"))
    aws_access_key_id: str | None = Field(default=None, validation_alias=AliasChoices("AWS_ACCESS_KEY_ID"))
    aws_region: str | None = Field(default=None, validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"))
    aws_secret_access_key: str | None = Field(
        default=None, validation_alias=AliasChoices("AWS_SECRET_ACCESS_KEY"), repr=False
    )
    aws_endpoint_url_polly: str | None = Field(
        default=None, validation_alias=AliasChoices("AWS_ENDPOINT_URL_POLLY", "AWS_ENDPOINT_URL")
    )
    # Speech providers' endpoints and voices (the defaults are the vendors' public APIs).
    openai_speech_key: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_API_KEY"), repr=False)
    openai_base_url: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_BASE_URL"))
    elevenlabs_url: str = Field(default="wss://api.elevenlabs.io", validation_alias=AliasChoices("HVAC_ELEVENLABS_URL"))
    elevenlabs_voice: str = Field(
        default="21m00Tcm4TlvDq8ikWAM", validation_alias=AliasChoices("HVAC_ELEVENLABS_VOICE")
    )
    elevenlabs_model: str = Field(default="eleven_flash_v2_5", validation_alias=AliasChoices("HVAC_ELEVENLABS_MODEL"))
    deepgram_url: str | None = Field(default=None, validation_alias=AliasChoices("HVAC_DEEPGRAM_URL"))
    deepgram_model: str = Field(default="nova-3", validation_alias=AliasChoices("HVAC_DEEPGRAM_MODEL"))
    polly_voice: str = Field(default="Joanna", validation_alias=AliasChoices("HVAC_POLLY_VOICE"))
    phrase_cache_dir: str = Field(default="./hvac_phrase_cache", validation_alias=AliasChoices("HVAC_PHRASE_CACHE_DIR"))
    stt_engines: str | None = Field(default=None, validation_alias=AliasChoices("HVAC_STT_ENGINES"))
    tts_engines: str | None = Field(default=None, validation_alias=AliasChoices("HVAC_TTS_ENGINES"))
    fake_transcript: str = Field(
        default="my furnace stopped working", validation_alias=AliasChoices("HVAC_FAKE_TRANSCRIPT")
    )

    log_pii: bool = Field(default=False, validation_alias=AliasChoices("HVAC_LOG_PII"))
    log_format: Literal["json", "console"] = Field(default="json", validation_alias=AliasChoices("HVAC_LOG_FORMAT"))
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("HVAC_LOG_LEVEL"))
    # Seconds a session outlives its last turn (a call that never sent a status callback).
    session_ttl_s: int = Field(default=2 * 3600, validation_alias=AliasChoices("HVAC_SESSION_TTL_S"))

    # ---- trust boundaries (see guard/ and telephony/stream_token.py) ----
    # Secret for per-call stream tokens; unset → derived from TWILIO_AUTH_TOKEN, else generated
    # once and kept in the session store, so every worker and instance agrees.
    stream_secret: str | None = Field(default=None, validation_alias=AliasChoices("HVAC_STREAM_SECRET"))
    # Addresses/networks whose X-Forwarded-For/-Proto are believed ("127.0.0.1,10.0.0.0/8"); none by default.
    trusted_proxies: str = Field(default="", validation_alias=AliasChoices("HVAC_TRUSTED_PROXIES"))
    # The address `serve --host` listens on; a non-loopback one without HVAC_API_TOKEN locks /api and /console.
    listen_host: str | None = Field(default=None, validation_alias=AliasChoices("HVAC_LISTEN_HOST"))
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, validation_alias=AliasChoices("HVAC_MAX_BODY_BYTES"))
    body_timeout_s: float = Field(default=10.0, gt=0, validation_alias=AliasChoices("HVAC_BODY_TIMEOUT_S"))
    max_streams: int = Field(default=100, ge=1, validation_alias=AliasChoices("HVAC_MAX_STREAMS"))
    # New calls answered per caller number per window (toll fraud, floods); shared by every worker.
    calls_per_number: int = Field(default=5, ge=1, validation_alias=AliasChoices("HVAC_CALLS_PER_NUMBER"))
    calls_per_number_window_s: int = Field(
        default=600, ge=1, validation_alias=AliasChoices("HVAC_CALLS_PER_NUMBER_WINDOW_S")
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        for item in (part.strip() for part in value.split(",")):
            if not item:
                continue
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as error:
                raise ValueError(f"HVAC_TRUSTED_PROXIES: {item!r} is not an IP address or network") from error
        return value

    # ---- follow-ups after the call (texts, alerts, digest, exports); see README "Follow-ups" ----
    twilio_account_sid: str | None = Field(default=None, validation_alias=AliasChoices("TWILIO_ACCOUNT_SID"))
    sms_from: str | None = Field(default=None, validation_alias=AliasChoices("HVAC_SMS_FROM"))
    twilio_api_url: str = Field(default="https://api.twilio.com", validation_alias=AliasChoices("HVAC_TWILIO_API_URL"))
    sms_reminder_hour: int = Field(default=17, ge=0, le=23, validation_alias=AliasChoices("HVAC_SMS_REMINDER_HOUR"))
    alert_sms_to: str | None = Field(default=None, validation_alias=AliasChoices("HVAC_ALERT_SMS_TO"))
    alert_webhook_url: str | None = Field(default=None, validation_alias=AliasChoices("HVAC_ALERT_WEBHOOK_URL"))
    export_webhook_url: str | None = Field(default=None, validation_alias=AliasChoices("HVAC_EXPORT_WEBHOOK_URL"))
    webhook_secret: str | None = Field(default=None, validation_alias=AliasChoices("HVAC_WEBHOOK_SECRET"))
    smtp_url: str | None = Field(default=None, validation_alias=AliasChoices("HVAC_SMTP_URL"))
    digest_to: str | None = Field(default=None, validation_alias=AliasChoices("HVAC_DIGEST_TO"))
    digest_from: str = Field(default="hvac-agent@localhost", validation_alias=AliasChoices("HVAC_DIGEST_FROM"))
    digest_hour: int = Field(default=18, ge=0, le=23, validation_alias=AliasChoices("HVAC_DIGEST_HOUR"))
    job_queue: str = Field(default="hvac:followups", validation_alias=AliasChoices("HVAC_JOB_QUEUE"))
    outbox_poll_s: float = Field(default=1.0, gt=0, validation_alias=AliasChoices("HVAC_OUTBOX_POLL_S"))
    outbox_max_attempts: int = Field(default=12, ge=1, validation_alias=AliasChoices("HVAC_OUTBOX_MAX_ATTEMPTS"))
    outbox_retry_base_s: float = Field(default=10.0, gt=0, validation_alias=AliasChoices("HVAC_OUTBOX_RETRY_BASE_S"))
    # How long one attempt may take before another process treats it as lost (and checks it).
    outbox_lease_s: float = Field(default=120.0, gt=0, validation_alias=AliasChoices("HVAC_OUTBOX_LEASE_S"))

    @property
    def sms_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.sms_from)

    def effective_public_url(self, host: str = "127.0.0.1", port: int = 8000) -> str:
        return (self.public_url or f"http://{host}:{port}").rstrip("/")

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [item.strip() for item in self.trusted_proxies.split(",") if item.strip()]

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url or self.llm_api_key)

    @property
    def business(self) -> BusinessProfile:
        return load_profile(self.business_file)
