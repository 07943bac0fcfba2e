"""Configuration: the TOML settings file, the per-state recount rules, and secrets from the env."""

from config.settings import ConfigError, Secrets, Settings, load_settings, load_recount_rules

__all__ = ["ConfigError", "Secrets", "Settings", "load_settings", "load_recount_rules"]
