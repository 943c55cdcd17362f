"""Prompt text for the LLM agent, filled from the business profile and the call state."""

from hvac_agent.dialogue.prompts.system import INTENT_PROMPT, next_step, state_summary, system_prompt

__all__ = ["INTENT_PROMPT", "next_step", "state_summary", "system_prompt"]
