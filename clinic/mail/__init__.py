"""Outgoing mail: composers per message kind, and the transport (SMTP relay or outbox folder)."""
