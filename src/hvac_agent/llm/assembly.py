"""Assembling streamed tool calls: deltas arrive keyed by `index`; id and name come once, the
arguments string in pieces. Order of the finished calls follows the index."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # raw JSON text as the model wrote it: may be malformed


@dataclass
class _Partial:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class ToolCallAssembler:
    def __init__(self) -> None:
        self._calls: dict[int, _Partial] = {}

    def add(self, index: int, *, id: str | None, name: str | None, arguments: str | None) -> None:
        partial = self._calls.setdefault(index, _Partial())
        if id:
            partial.id = id
        if name:
            partial.name += name  # some servers stream the name in pieces too
        if arguments:
            partial.arguments.append(arguments)

    def finish(self) -> list[ToolCall]:
        return [
            ToolCall(id=p.id or f"call_{i}", name=p.name, arguments="".join(p.arguments))
            for i, p in sorted(self._calls.items())
        ]
