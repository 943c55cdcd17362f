"""After the call: the transactional outbox and everything it drives — texts to callers, office
alerts, the daily digest, post-call summaries and exports to field-service tools."""
