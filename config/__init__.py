"""Configuration: the TOML settings file, the per-state recount rules, and secrets from the env."""

from config.settings import ConfigError, Secrets, Settings, load_recount_rules, load_settings

__all__ = ["ConfigError", "Secrets", "Settings", "load_settings", "load_recount_rules"]
