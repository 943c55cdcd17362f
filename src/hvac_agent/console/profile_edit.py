"""Edit the business profile from the console: validate, keep, apply without a restart.

The office edits TOML (the format of `examples/business.toml`). A change is validated by the same
model that loads the file at start; an invalid one changes nothing and says what is wrong, field
by field. A valid one is written back to `HVAC_BUSINESS_FILE` (atomically, so a crash never leaves
half a file) when one is configured, then applied to the running services.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import tomli_w
import yaml
from pydantic import ValidationError

from hvac_agent.config import BusinessProfile

if TYPE_CHECKING:
    from hvac_agent.services import Services


class ProfileUser(Protocol):
    """A service that reads the profile on every request and can be handed a new one."""

    def use_profile(self, profile: BusinessProfile) -> None: ...


@dataclass(frozen=True)
class ProfileProblem:
    where: str
    what: str


class InvalidProfile(Exception):
    def __init__(self, problems: list[ProfileProblem]) -> None:
        super().__init__("; ".join(f"{p.where}: {p.what}" for p in problems))
        self.problems = problems


def profile_toml(profile: BusinessProfile) -> str:
    """The profile as TOML: the fields that differ from the built-in defaults first matter most,
    but every field is written so the office sees what it can change."""
    data = profile.model_dump(mode="json", exclude_none=True)
    return tomli_w.dumps(data)


def parse_profile(text: str) -> BusinessProfile:
    """TOML text → a validated profile, or `InvalidProfile` naming each problem."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidProfile([ProfileProblem("TOML", str(error))]) from error
    if isinstance(data.get("business"), dict):
        data = data["business"]
    try:
        return BusinessProfile.model_validate(data)
    except ValidationError as error:
        problems = [
            ProfileProblem(".".join(str(part) for part in item["loc"]) or "profile", item["msg"])
            for item in error.errors()
        ]
        raise InvalidProfile(problems) from error


def write_profile_file(path: Path, text: str, profile: BusinessProfile) -> None:
    """Replace the file atomically; a YAML file stays YAML (comments are not kept there)."""
    if path.suffix.lower() in {".yaml", ".yml"}:
        text = yaml.safe_dump(profile.model_dump(mode="json", exclude_none=True), sort_keys=False)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class ProfileEditor:
    """Reads and replaces the live profile (the profile source's, which every service follows)."""

    def __init__(self, services: Services, file: str | None) -> None:
        self._source = services.profile_source
        self.file = Path(file) if file else None

    @property
    def current(self) -> BusinessProfile:
        return self._source.profile

    def source(self) -> str:
        """What the editor shows: the TOML file as written (comments kept), else the profile as TOML."""
        if self.file is not None and self.file.suffix.lower() == ".toml" and self.file.exists():
            return self.file.read_text(encoding="utf-8")
        return profile_toml(self.current)

    def save(self, text: str) -> BusinessProfile:
        """Validate `text`, keep it, apply it. Raises `InvalidProfile` and then changes nothing."""
        profile = parse_profile(text)
        if self.file is None:
            self._source.use(profile)
            return profile
        write_profile_file(self.file, text, profile)
        # The same path as a file change or the API: this worker now, every other worker at its
        # next call start (it sees the file changed).
        result = self._source.reload()
        if not result.ok:
            raise InvalidProfile([ProfileProblem("file", result.error or "not reloaded")])
        return profile

    @property
    def persistent(self) -> bool:
        return self.file is not None
