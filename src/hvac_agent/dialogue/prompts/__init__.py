"""Prompt text for the LLM agent, filled from the business profile and the call state."""

from hvac_agent.dialogue.prompts.system import state_summary, system_prompt

__all__ = ["state_summary", "system_prompt"]
