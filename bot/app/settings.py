"""The settings wiring: turns the plain models of ``config.settings`` into the bot's types.

``config`` imports no ``bot`` module; this is where its models meet the bot: the vocabulary the
checks name against (the feed registry, states, offices), feed specs, follow lists, the alert
level, the recount and runoff tables as rules, and the context files (baselines, seats). A bad
table or file is a ``ConfigError`` naming it, so check-config still exits 2 with one line.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from bot.app.context_files import load_baseline_csv, load_seats_config, scenario_baseline
from bot.core.balance import SeatsConfig, SeatsConfigError
from bot.core.context import ContextSettings
from bot.core.events import Severity
from bot.core.follow import Follow, FollowBook, office_kind
from bot.core.offices import AP_OFFICE_IDS, KINDS
from bot.core.rules import RecountRule, RuleSettings
from bot.core.runoffs import RunoffFormat, RunoffRule
from bot.core.states import lookup
from bot.core.swing import Baseline, BaselineError
from bot.core.targets import LEVELS
from bot.feeds.kinds import source_kinds
from bot.feeds.source import FeedSpec
from config import settings as _config
from config.settings import (
    RECOUNT_RULES,
    RUNOFF_RULES,
    AlertSettings,
    ConfigError,
    ContextConfig,
    FeedSettings,
    FollowSettings,
    Secrets,
    Settings,
    Vocabulary,
    project_path,
)


def _state_postal(text: str) -> str | None:
    found = lookup(text)
    return found.postal if found is not None else None


def vocabulary() -> Vocabulary:
    """The names the settings are checked against, from their one definition in the bot."""
    return Vocabulary(
        feed_kinds=tuple(source_kinds()),
        state_postal=_state_postal,
        office_known=lambda value: office_kind(value) is not None,
        offices=(*KINDS, *AP_OFFICE_IDS),
    )


def load_settings(path: str | os.PathLike[str] | None = None, *, text: str | None = None) -> Settings:
    """Read and validate a config file (``--config``, else ``$ELECTIONBOT_CONFIG``)."""
    return _config.load_settings(path, text=text, vocabulary=vocabulary())


def settings_from_dict(data: Mapping[str, Any], source: str = "<config>") -> Settings:
    return _config.settings_from_dict(data, source, vocabulary=vocabulary())


def feed_spec(feed: FeedSettings) -> FeedSpec:
    return FeedSpec(
        feed.name, feed.kind, feed.url, feed.interval_seconds, dict(feed.options), names=feed.names, county=feed.county
    )


def follow_of(cfg: FollowSettings) -> Follow:
    return Follow.of(cfg.states, cfg.offices, cfg.races, cfg.key_races, cfg.all)


def follow_book(alerts: AlertSettings) -> FollowBook:
    return FollowBook(
        follow_of(alerts.follow) if alerts.follow is not None else Follow(),
        {channel: follow_of(f) for channel, f in alerts.channel_follow.items()},
        frozenset(alerts.key_races),
        alerts.follow_all_up_to,
    )


def alert_level(settings: Settings) -> Severity:
    return LEVELS[settings.alerts.level]


def rule_settings(
    settings: Settings,
    recount_rules: Mapping[str, RecountRule] | None = None,
    runoff_rules: Mapping[str, tuple[RunoffRule, ...]] | None = None,
) -> RuleSettings:
    """The rules' settings, reading the recount and runoff tables and the context files named."""
    r = settings.rules
    return RuleSettings(
        recount_rules=load_recount_rules() if recount_rules is None else recount_rules,
        runoff_rules=load_runoff_rules() if runoff_rules is None else runoff_rules,
        recount_min_reporting=Fraction(str(r.recount_min_reporting)),
        lead_min_reporting=Fraction(str(r.lead_min_reporting)),
        lead_hold_polls=r.lead_hold_polls,
        lead_vote_floor=r.lead_vote_floor,
        milestones=tuple(sorted(set(r.milestones))),
        county_batch_min_votes=r.county_batch_min_votes,
        context=context_settings(settings.context),
    )


def load_recount_rules(path: Path = RECOUNT_RULES) -> dict[str, RecountRule]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read recount rules {path}: {exc}") from None
    rules = {}
    for state, rule in data.items():
        try:
            threshold = Fraction(rule["threshold"])
            citation = rule["citation"]
        except (KeyError, ValueError, ZeroDivisionError) as exc:
            raise ConfigError(
                f'recount rule {state}: needs threshold (a fraction such as "1/200") and citation ({exc})'
            ) from None
        if not 0 < threshold < 1 or not citation.strip():
            raise ConfigError(f"recount rule {state}: threshold must be between 0 and 1 and the statute cited")
        rules[state.upper()] = RecountRule(
            state.upper(),
            threshold,
            citation,
            bool(rule.get("general_only", True)),
            bool(rule.get("waivable", True)),
            rule.get("note", ""),
        )
    return rules


def load_runoff_rules(path: Path = RUNOFF_RULES) -> dict[str, tuple[RunoffRule, ...]]:
    """config/runoff_rules.toml: per state, one rule per kind of election, each with its statute.
    A rule that cannot be trusted is a ``ConfigError`` naming it: nothing starts half-configured."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read runoff rules {path}: {exc}") from None
    rules: dict[str, tuple[RunoffRule, ...]] = {}
    for state, entries in data.items():
        found = []
        for i, rule in enumerate(entries if isinstance(entries, list) else [entries]):
            where = f"runoff rule {state}.{i}"
            try:
                fmt = RunoffFormat(rule.get("format", "threshold"))
                elections = frozenset(rule["elections"])
                citation = str(rule["citation"]).strip()
                threshold = Fraction(rule["threshold"]) if "threshold" in rule else None
                advance = int(rule.get("advance", 2))
            except (KeyError, ValueError, TypeError, ZeroDivisionError) as exc:
                raise ConfigError(
                    f'{where}: needs elections, citation and (for a threshold rule) threshold such as "1/2" ({exc})'
                ) from None
            if not citation or not elections or not elections <= {"general", "primary"}:
                raise ConfigError(f'{where}: the statute must be cited and elections be "general" and/or "primary"')
            if fmt is RunoffFormat.THRESHOLD and (threshold is None or not 0 < threshold < 1):
                raise ConfigError(f"{where}: a threshold rule needs a threshold between 0 and 1")
            if advance < 2:
                raise ConfigError(f"{where}: advance must be at least 2")
            found.append(
                RunoffRule(
                    state.upper(),
                    elections,
                    fmt,
                    citation,
                    threshold,
                    bool(rule.get("inclusive", False)),
                    advance,
                    bool(rule.get("requested", False)),
                    int(rule.get("min_candidates", 2)),
                    bool(rule.get("verify", False)),
                    rule.get("note", ""),
                )
            )
        rules[state.upper()] = tuple(found)
    return rules


def context_settings(cfg: ContextConfig) -> ContextSettings:
    """Read the baseline and seats files the config names; a bad one is a ``ConfigError`` naming it."""
    baselines: dict[str, Baseline] = {}
    for i, b in enumerate(cfg.baselines):
        try:
            if b.file is not None:
                baseline = load_baseline_csv(project_path(b.file), label=b.label)
            else:
                found = scenario_baseline(b.scenario)
                if found is None:
                    raise BaselineError(f"scenario {b.scenario!r} ships no baseline-*.csv")
                baseline = found if b.label is None else Baseline(found.counties, label=b.label, source=found.source)
        except (BaselineError, FileNotFoundError) as exc:
            raise ConfigError(f"context.baselines.{i}: {exc}") from None
        for key in b.races:
            baselines[key.upper()] = baseline
    seats: SeatsConfig | None = None
    if cfg.seats:
        try:
            seats = load_seats_config(project_path(cfg.seats))
        except SeatsConfigError as exc:
            raise ConfigError(f"context.seats: {exc}") from None
    return ContextSettings(
        baselines=baselines,
        seats=seats,
        flip_min_counties=cfg.flip_min_counties,
        flip_min_margin=Fraction(str(cfg.flip_min_margin_points)) / 100,
    )


__all__ = [
    "ConfigError",
    "Secrets",
    "Settings",
    "alert_level",
    "context_settings",
    "feed_spec",
    "follow_book",
    "follow_of",
    "load_recount_rules",
    "load_runoff_rules",
    "load_settings",
    "rule_settings",
    "settings_from_dict",
    "vocabulary",
]
