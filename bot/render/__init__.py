"""Renderers (pure): events and races → console text, Slack Block Kit, Discord embeds."""
