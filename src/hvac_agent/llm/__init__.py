"""OpenAI-compatible chat client: streaming, tool-call assembly, sentence splitting, model choice."""
