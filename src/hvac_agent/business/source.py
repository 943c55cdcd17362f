"""The business profile's file, reloaded without a restart.

Every worker and instance keeps its own copy of the profile, so each checks the file itself: on
every call start (a `stat`, read and hashed only when the stat changed) and on
`POST /api/profile/reload`. A file that does not parse or validate changes nothing: the old
profile stays in force and the reason is kept for the API and the logs. The console's editor
writes the file and then takes this same path, so one edit reaches every worker.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from hvac_agent.config import BusinessProfile, load_profile
from hvac_agent.observability.logging import get_logger

log = get_logger("hvac_agent.business.source")

Stamp = tuple[int, int]  # (mtime in ns, size)


@dataclass(frozen=True)
class ReloadResult:
    ok: bool  # False: the file is bad (or unreadable) and the old profile stays
    changed: bool  # a new profile is now in force
    error: str | None = None


class ProfileSource:
    """Watches `path` and hands each new valid profile to `apply`."""

    def __init__(self, path: str | None, profile: BusinessProfile, apply: Callable[[BusinessProfile], None]) -> None:
        self.path = Path(path) if path else None
        self.profile = profile
        self._apply = apply
        self._lock = threading.Lock()
        self._stamp = self._stat()
        self._digest = self._hash()
        self.last_error: str | None = None

    def check(self) -> ReloadResult:
        """Reload when the file's stat changed since the last look (cheap enough for every call)."""
        if self.path is None or self._stat() == self._stamp:
            return ReloadResult(ok=self.last_error is None, changed=False, error=self.last_error)
        return self.reload()

    def reload(self) -> ReloadResult:
        """Read, validate and apply the file now (when its content changed)."""
        if self.path is None:
            return ReloadResult(ok=True, changed=False, error="no HVAC_BUSINESS_FILE: the built-in profile is fixed")
        with self._lock:
            self._stamp = self._stat()
            digest = self._hash()
            if digest == self._digest and self.last_error is None:
                return ReloadResult(ok=True, changed=False)
            try:
                profile = load_profile(self.path)
            except (OSError, ValueError, ValidationError, yaml.YAMLError) as error:  # TOML errors are ValueErrors
                self.last_error = _reason(error)
                log.warning("profile_reload_refused", error=self.last_error)
                return ReloadResult(ok=False, changed=False, error=self.last_error)
            self._digest, self.last_error = digest, None
            changed = profile != self.profile
            self.profile = profile
        if changed:
            self._apply(profile)
            log.info("profile_reloaded", name=profile.name)
        return ReloadResult(ok=True, changed=changed)

    def use(self, profile: BusinessProfile) -> None:
        """Put `profile` in force without a file (the console's editor when there is none)."""
        with self._lock:
            self.profile = profile
        self._apply(profile)

    def _stat(self) -> Stamp | None:
        try:
            info = self.path.stat() if self.path else None
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size) if info else None

    def _hash(self) -> str | None:
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest() if self.path else None
        except OSError:
            return None


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or 'profile'}: {item['msg']}" for item in error.errors()
        )
    return f"{type(error).__name__}: {error}"
