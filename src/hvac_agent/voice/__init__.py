"""Stream-mode voice: codec, VAD, endpointing, speech engines and the per-call pipeline."""
