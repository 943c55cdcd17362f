"""Pure, transport-agnostic dialogue core: `step(state, event, ctx) -> (state, reply)`."""
