"""hvac-agent: an AI phone agent that answers HVAC service calls and books technician visits."""

__version__ = "0.1.0"
