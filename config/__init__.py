"""Configuration as plain data: the TOML settings models, the per-state recount and runoff tables,
seats, and secrets from the env. Imports no ``bot`` module; ``bot.app.settings`` wires it in."""

from config.settings import ConfigError, Secrets, Settings, Vocabulary

__all__ = ["ConfigError", "Secrets", "Settings", "Vocabulary"]
