"""The offline default recogniser: a grammar when the question has one, Moonshine otherwise.

Measured here on synthetic speech through μ-law: Moonshine turns "yes that's correct" into
"Yes, not correct." and mangles digit strings, while a PocketSphinx yes/no or digits grammar gets
them in tens of ms. So constrained questions go to the grammar first (fast and safer), open
questions (name, address, issue) go to Moonshine, and mostly-yes/no questions (urgency, unit) go
to Moonshine with the grammar as a second chance when Moonshine heard nothing.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from hvac_agent.dialogue.state import Expect
from hvac_agent.voice.errors import EngineError
from hvac_agent.voice.stt.base import STTEngine
from hvac_agent.voice.stt.moonshine import MoonshineSTT
from hvac_agent.voice.stt.pocketsphinx import PocketsphinxSTT


class OfflineSTT(STTEngine):
    name = "offline"

    def __init__(self, general: MoonshineSTT | None, grammars: PocketsphinxSTT | None) -> None:
        if general is None and grammars is None:
            raise ValueError("OfflineSTT needs at least one engine")
        self.general = general
        self.grammars = grammars

    async def _transcribe_impl(self, audio: NDArray[np.int16], expect: Expect | None, hints: list[str]) -> str:
        if self.grammars is not None:
            try:
                text = await self.grammars.transcribe_with_grammar(audio, expect)
            except EngineError:
                text = None
            if text:
                return text
        if self.general is not None:
            text = await self.general.transcribe(audio, expect, hints)
            if text or self.grammars is None:
                return text
            try:
                return await self.grammars.transcribe_with_grammar(audio, expect, fallback=True) or ""
            except EngineError:
                return ""
        assert self.grammars is not None
        return await self.grammars.transcribe(audio, expect, hints)

    async def aclose(self) -> None:
        if self.grammars is not None:
            await self.grammars.aclose()
