"""Transports: each is an ``AudioInput``/``AudioOutput`` pair (plus a control channel) for the one AgentSession."""
