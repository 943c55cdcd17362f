"""Post-call summaries: what was asked, what was decided, what the technician should know.

`summary_from_facts` is the always-available one, built from the call's state when the call ends.
`LlmSummariser` asks the configured LLM to write it from the transcript; the outbox runs it after
the call (never on the caller's time) and its answer replaces the built one.
"""

from __future__ import annotations

from typing import Any

from hvac_agent.llm.client import LlmClient

_OUTCOMES = {
    "booked": "Booked a visit",
    "rescheduled": "Rescheduled the visit",
    "cancelled": "Cancelled the visit",
    "emergency": "Emergency: safety instructions given and on-call offered",
    "transferred": "Transferred to the office",
    "message": "Left a message for the office",
    "out_of_area": "Outside the service area; no booking",
    "abandoned": "Hung up before anything was settled",
    "in_progress": "Ended before anything was settled",
}
_EMERGENCIES = {"gas": "gas smell", "carbon_monoxide": "carbon monoxide", "smoke_fire": "smoke, sparks or burning"}
MAX_SUMMARY_CHARS = 1200


def summary_from_facts(facts: dict[str, Any]) -> str:
    """Three short lines from the call's facts (`events.call_facts`): asked, decided, for the tech."""
    who = ", ".join(str(v) for v in (facts.get("name"), facts.get("phone")) if v) or "Unknown caller"
    issue = facts.get("issue")
    asked = f"{who} called about {issue}." if issue else f"{who} called."
    decided = _OUTCOMES.get(str(facts.get("outcome") or "in_progress"), "Call ended")
    if facts.get("appointment_id"):
        decided += f" (appointment #{facts['appointment_id']})"
    notes: list[str] = []
    if facts.get("emergency"):
        notes.append(f"reported {_EMERGENCIES.get(str(facts['emergency']), str(facts['emergency']))}")
    if facts.get("urgency") in ("urgent", "emergency"):
        notes.append(f"urgency {facts['urgency']}")
    if facts.get("address"):
        unit = f" {facts['unit']}" if facts.get("unit") else ""
        notes.append(f"at {facts['address']}{unit} {facts.get('zip') or ''}".rstrip())
    if facts.get("issue_category") and facts.get("issue_category") != "other":
        notes.append(f"category {facts['issue_category']}")
    if facts.get("message"):
        notes.append(f'message: "{facts["message"]}"')
    lines = [f"Asked: {asked}", f"Decided: {decided}."]
    if notes:
        lines.append("For the technician: " + "; ".join(notes) + ".")
    return "\n".join(lines)[:MAX_SUMMARY_CHARS]


SUMMARY_PROMPT = (
    "You write post-call notes for an HVAC service office. From the call transcript and facts, write at "
    "most three short lines: 'Asked:' what the caller wanted; 'Decided:' what was agreed or done; "
    "'For the technician:' anything useful on site (symptoms, access, safety, urgency). Plain text. "
    "Do not invent facts, prices or diagnoses."
)


class LlmSummariser:
    """Writes the summary with the configured OpenAI-compatible model."""

    def __init__(self, client: LlmClient, model: str) -> None:
        self.client = client
        self.model = model

    async def summarise(self, facts: dict[str, Any], turns: list[dict[str, Any]]) -> str:
        transcript = "\n".join(f"{t['role']}: {t['text']}" for t in turns[-60:])
        known = {k: v for k, v in facts.items() if v not in (None, "")}
        messages = [
            {"role": "system", "content": SUMMARY_PROMPT},
            {"role": "user", "content": f"Facts: {known}\n\nTranscript:\n{transcript}"},
        ]
        answer = await self.client.complete(model=self.model, messages=messages)
        text = answer.text.strip()
        if not text:
            raise ValueError("the model returned an empty summary")
        return text[:MAX_SUMMARY_CHARS]

    async def aclose(self) -> None:
        await self.client.aclose()
