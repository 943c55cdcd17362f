"""PocketSphinx with per-question JSGF grammars (digits, yes/no, windows), in a worker process.

Its Python binding holds the GIL while decoding (measured: a 1.2 s decode froze every call's
audio for ~1 s), so decoding happens in a separate process and the event loop only waits on a
future. Its model wants 16 kHz, so the 8 kHz audio is upsampled first. Free dictation on phone
audio is poor: it is a fallback; grammars are where it shines (fast, ~tens of ms).
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hvac_agent.dialogue.state import Expect
from hvac_agent.voice.codec import resample
from hvac_agent.voice.errors import EngineError
from hvac_agent.voice.stt.base import STTEngine

_DIGIT_WORDS = "zero | oh | one | two | three | four | five | six | seven | eight | nine | double"
GRAMMARS: dict[str, str] = {
    "digits": f"""#JSGF V1.0;
grammar digits;
public <utt> = [<lead>] <d>+;
<lead> = my number is | it's | it is | the zip is | zip code | my zip is;
<d> = {_DIGIT_WORDS};
""",
    "yes_no": """#JSGF V1.0;
grammar yes_no;
public <utt> = [<pre>] <answer> [<post>];
<pre> = uh | um | well;
<answer> = yes | yeah | yep | sure | correct | right | that's right | that's correct | yes it is
         | sounds good | okay | no | nope | no it's not | that's wrong | not right | incorrect;
<post> = please | thanks | thank you | that's correct | that's right;
""",
    "unit": f"""#JSGF V1.0;
grammar unit;
public <utt> = <no_unit> | [<pre>] <kind> <alnum>+ | yes;
<no_unit> = no | nope | no unit | no apartment | there isn't | it's a house | it's a house no;
<pre> = yes | yeah | it's;
<kind> = apartment | unit | suite | number;
<alnum> = {_DIGIT_WORDS} | a | b | c | d | e | f;
""",
    "window": """#JSGF V1.0;
grammar window;
public <utt> = [<pre>] <choice> [<post>];
<pre> = uh | um | i'll take | let's do | i want | the;
<choice> = first | the first one | second | the second one | third | the third one | morning
         | afternoon | monday | tuesday | wednesday | thursday | friday | saturday | tomorrow
         | the earliest | earliest | any | whichever;
<post> = one | please | window | is fine | works;
""",
}
# Questions whose answers a grammar covers: decode with it first.
GRAMMAR_FOR_EXPECT: dict[str, str] = {
    "phone": "digits",
    "zip": "digits",
    "yes_no": "yes_no",
    "confirm": "yes_no",
    "phone_confirm": "yes_no",
    "window": "window",
}
# Mostly-yes/no questions that may get a longer answer ("yes, my mother is 90"): the general
# recogniser first, the grammar when it heard nothing (it misses short words like "no").
FALLBACK_GRAMMAR_FOR_EXPECT: dict[str, str] = {
    "urgency": "yes_no",
    "anything_else": "yes_no",
    "unit": "unit",
}

_decoder: Any = None


def _worker_init() -> None:
    global _decoder
    from pocketsphinx import Decoder

    _decoder = Decoder(loglevel="FATAL")
    for name, grammar in GRAMMARS.items():
        _decoder.add_jsgf_string(name, grammar)


def _worker_decode(pcm16k: bytes, search: str) -> str:
    if len(pcm16k) < 320:  # pocketsphinx raises on empty input (and would stay mid-utterance)
        return ""
    _decoder.activate_search(search)
    _decoder.start_utt()
    try:
        _decoder.process_raw(pcm16k, full_utt=True)
    finally:
        _decoder.end_utt()
    hyp = _decoder.hyp()
    return str(hyp.hypstr) if hyp is not None else ""


class PocketsphinxSTT(STTEngine):
    """`pocketsphinx` engine. `grammar_only=True` answers only questions that have a grammar."""

    name = "pocketsphinx"

    def __init__(self, *, workers: int = 1) -> None:
        self.workers = workers
        self._pool = self._new_pool()
        # start the worker (spawn + model load take ~1 s) now, not on the first caller's "yes"
        self._pool.submit(_worker_decode, bytes(3200), "_default")

    def _new_pool(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")  # never fork a process with threads
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=context, initializer=_worker_init)

    @staticmethod
    def grammar_for(expect: Expect | None) -> str | None:
        return GRAMMAR_FOR_EXPECT.get(expect) if expect else None

    async def warm_up(self) -> None:
        await self._decode(np.zeros(1600, dtype=np.int16), "_default")

    async def _decode(self, audio: NDArray[np.int16], search: str) -> str:
        pcm16k = resample(audio, 8000, 16000).tobytes()
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            try:
                return await loop.run_in_executor(self._pool, _worker_decode, pcm16k, search)
            except BrokenProcessPool as error:  # the worker died (OOM, killed): start a new one once
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
                if attempt == 2:
                    raise EngineError(self.name, "worker process keeps dying") from error
            except Exception as error:
                raise EngineError(self.name, repr(error)) from error
        raise EngineError(self.name, "unreachable")

    async def transcribe_with_grammar(
        self, audio: NDArray[np.int16], expect: Expect | None, *, fallback: bool = False
    ) -> str | None:
        """Grammar-constrained decode, or None when no grammar fits the question."""
        grammar = self.grammar_for(expect)
        if grammar is None and fallback and expect:
            grammar = FALLBACK_GRAMMAR_FOR_EXPECT.get(expect)
        if grammar is None:
            return None
        return " ".join((await self._decode(audio, grammar)).split())

    async def _transcribe_impl(self, audio: NDArray[np.int16], expect: Expect | None, hints: list[str]) -> str:
        return await self._decode(audio, self.grammar_for(expect) or "_default")

    async def aclose(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
