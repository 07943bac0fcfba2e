"""Settings: a TOML file validated by pydantic, secrets from the environment only.

A bad file is one clear ``ConfigError`` naming the key (``feeds.0.interval_seconds: …``) and
the command line exits 2; nothing starts half-configured.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.core.balance import SeatsConfig, SeatsConfigError
from bot.core.context import ContextSettings
from bot.core.digest import DIGEST_AFTER_RACES
from bot.core.events import Severity
from bot.core.follow import SMALL_FEED, Follow, FollowBook, office_kind
from bot.core.offices import AP_OFFICE_IDS, KINDS
from bot.core.rules import RecountRule, RuleSettings
from bot.core.runoffs import RunoffFormat, RunoffRule
from bot.core.states import lookup
from bot.core.swing import Baseline, BaselineError
from bot.core.targets import LEVELS
from bot.delivery.budget import MESSAGES_PER_MINUTE
from bot.feeds.kinds import source_kinds
from bot.feeds.source import FeedSpec
from config.context_files import load_baseline_csv, load_seats_config, scenario_baseline

CONFIG_DIR = Path(__file__).resolve().parent
PROJECT_DIR = CONFIG_DIR.parent
RECOUNT_RULES = CONFIG_DIR / "recount_rules.toml"
RUNOFF_RULES = CONFIG_DIR / "runoff_rules.toml"


class ConfigError(Exception):
    """The configuration cannot be used; the message says which key and why."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeedSettings(_Model):
    name: Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9._-]+$")]
    kind: str
    url: Annotated[str, Field(min_length=1)]
    interval_seconds: Annotated[float, Field(gt=0, le=3600)] = 30.0
    options: dict[str, Any] = {}
    #: "title": display case for a source that writes in capitals ("DONALD J. TRUMP" → "Donald J.
    #: Trump"); "as-is": names as the feed writes them. Default: title for clarity and csv, as-is
    #: for ap and json.
    names: Literal["as-is", "title"] | None = None
    #: the county a county's own feed covers (a Clarity county site, a county's CSV): its races
    #: are labelled with the county, never as the state's.
    county: Annotated[str, Field(min_length=1, max_length=80)] | None = None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        kinds = source_kinds()
        if value not in kinds:
            raise ValueError(f"unknown feed kind {value!r}; known kinds: {', '.join(kinds)}")
        return value

    @model_validator(mode="after")
    def _county_feeds(self) -> FeedSettings:
        if self.county is not None and self.kind == "ap":
            raise ValueError(
                "county is for a county's own feed (clarity, csv, json); an AP feed covers states and reports their counties itself"
            )
        return self

    def spec(self) -> FeedSpec:
        return FeedSpec(
            self.name, self.kind, self.url, self.interval_seconds, dict(self.options), names=self.names, county=self.county
        )


Style = Literal["cards", "messages", "quiet"]


def _race_key(value: str) -> str:
    """'AL-1000' (a state's postal code, a dash, the feed's race id), upper-cased."""
    state, dash, race_id = value.strip().partition("-")
    found = lookup(state) if len(state) == 2 else None
    if not dash or not race_id.strip() or found is None:
        raise ValueError(
            f"{value!r} is not a race key: write the state's postal code, a dash and the feed's race id (\"AL-1000\")"
        )
    return f"{found.postal}-{race_id.strip()}"


class FollowSettings(_Model):
    """What a channel follows (``bot.core.follow``): its calls, uncalls and lead changes come one by
    one, with a live card; the rest of a big poll comes in digests. Lists are joined by *or*."""

    #: true: every race; false: only what is listed; unset: every race of a small feed, else the lists
    all: bool | None = None
    states: list[str] = []  # postal codes or names: "GA", "Georgia"
    offices: list[str] = []  # president, senate, house, governor, … or AP officeIDs (P, S, H, G, …)
    races: list[str] = []  # race keys: "GA-1234"
    key_races: bool = False  # the [alerts] key_races list

    @field_validator("states")
    @classmethod
    def _states(cls, values: list[str]) -> list[str]:
        out = []
        for value in values:
            found = lookup(value)
            if found is None:
                raise ValueError(f'unknown state {value!r}: give a postal code such as "GA"')
            out.append(found.postal)
        return out

    @field_validator("offices")
    @classmethod
    def _offices(cls, values: list[str]) -> list[str]:
        for value in values:
            if office_kind(value) is None:
                known = ", ".join([*KINDS, *AP_OFFICE_IDS])
                raise ValueError(f"unknown office {value!r}; known: {known}")
        return values

    @field_validator("races")
    @classmethod
    def _races(cls, values: list[str]) -> list[str]:
        return [_race_key(v) for v in values]

    def follow(self) -> Follow:
        return Follow.of(self.states, self.offices, self.races, self.key_races, self.all)


class AlertSettings(_Model):
    channels: list[Annotated[str, Field(min_length=1, max_length=80)]] = []
    level: Literal["all", "races", "quiet"] = "all"
    #: "cards": one live card per race, edited in place, alerts in its thread (a channel that
    #: gets forty new messages an hour gets muted); "messages": one message per alert.
    style: Style = "cards"
    styles: dict[str, Style] = {}  # per channel
    card_update_seconds: Annotated[float, Field(ge=0, le=3600)] = 15.0
    #: chat.update is Slack's Tier 3 (about 50 a minute per workspace): card edits share it
    card_updates_per_minute: Annotated[int, Field(ge=1, le=600)] = 50
    #: after an outage, alerts older than this go out as one summary per channel (0: never)
    summarize_after_minutes: Annotated[float, Field(ge=0, le=1440)] = 15.0
    #: routine news (first votes, milestones, unfollowed calls, …) of more races than this in one
    #: poll goes to a channel as one digest; this many or fewer stay one message each (bot.core.digest)
    digest_after_races: Annotated[int, Field(ge=0, le=100_000)] = DIGEST_AFTER_RACES
    #: per channel: at most this many messages a minute, the surplus rolled into one (0: no budget)
    messages_per_minute: Annotated[int, Field(ge=0, le=600)] = MESSAGES_PER_MINUTE
    #: the night's key races (race keys), which a follow list names with key_races = true
    key_races: list[str] = []
    #: what every channel follows (unset: every race of a feed with at most follow_all_up_to races)
    follow: FollowSettings | None = None
    #: per channel (id or name as in channels), instead of follow
    channel_follow: dict[str, FollowSettings] = {}
    follow_all_up_to: Annotated[int, Field(ge=0, le=100_000)] = SMALL_FEED

    @field_validator("key_races")
    @classmethod
    def _key_races(cls, values: list[str]) -> list[str]:
        return [_race_key(v) for v in values]

    def follow_book(self) -> FollowBook:
        return FollowBook(
            self.follow.follow() if self.follow is not None else Follow(),
            {channel: f.follow() for channel, f in self.channel_follow.items()},
            frozenset(self.key_races),
            self.follow_all_up_to,
        )


class RulesSettings(_Model):
    recount_min_reporting: Annotated[float, Field(ge=0, le=1)] = 0.5
    lead_min_reporting: Annotated[float, Field(ge=0, le=1)] = 0.0
    lead_hold_polls: Annotated[int, Field(ge=1, le=100)] = 2
    lead_vote_floor: Annotated[int, Field(ge=0)] = 1000
    milestones: list[Annotated[int, Field(gt=0, lt=100)]] = [25, 50, 75, 90]
    county_batch_min_votes: Annotated[int, Field(ge=1)] = 5000


class RacesSettings(_Model):
    follow: list[str] = []


class BaselineSettings(_Model):
    """One previous election to compare races with: a CSV file or a bundled scenario's baseline."""

    races: Annotated[list[Annotated[str, Field(min_length=2, max_length=80)]], Field(min_length=1)]  # "AL" or "AL-1000"
    file: str | None = None
    scenario: str | None = None
    label: str | None = None  # how text names it: "2016" (default: the year in the file name)

    @model_validator(mode="after")
    def _one_source(self) -> BaselineSettings:
        if (self.file is None) == (self.scenario is None):
            raise ValueError("give exactly one of file (a baseline CSV) or scenario (a bundled scenario's baseline)")
        return self

    @field_validator("file")
    @classmethod
    def _file_exists(cls, value: str | None) -> str | None:
        if value is not None and not _project_path(value).is_file():
            raise ValueError(f"no such baseline file: {value}")
        return value


class ContextConfig(_Model):
    #: seat holders and chambers (TOML, see config/seats.toml, which holds the 2017 Alabama
    #: special); none by default: a seats file describes one election, not every night.
    seats: str | None = None
    baselines: list[BaselineSettings] = []
    flip_min_counties: Annotated[int, Field(ge=1)] = 10
    flip_min_margin_points: Annotated[float, Field(ge=0, le=50)] = 0.5

    @field_validator("seats")
    @classmethod
    def _seats_exist(cls, value: str | None) -> str | None:
        if value and not _project_path(value).is_file():
            raise ValueError(f"no such seats file: {value}")
        return value


class StoreSettings(_Model):
    database_url: str = "sqlite:///electionbot.db"


class Settings(_Model):
    feeds: Annotated[list[FeedSettings], Field(min_length=1)]
    alerts: AlertSettings = AlertSettings()
    rules: RulesSettings = RulesSettings()
    races: RacesSettings = RacesSettings()
    store: StoreSettings = StoreSettings()
    context: ContextConfig = ContextConfig()

    @model_validator(mode="after")
    def _unique_feeds(self) -> Settings:
        names = [f.name for f in self.feeds]
        if len(set(names)) != len(names):
            raise ValueError("feed names must be unique")
        return self

    def rule_settings(
        self,
        recount_rules: Mapping[str, RecountRule] | None = None,
        runoff_rules: Mapping[str, tuple[RunoffRule, ...]] | None = None,
    ) -> RuleSettings:
        r = self.rules
        return RuleSettings(
            recount_rules=load_recount_rules() if recount_rules is None else recount_rules,
            runoff_rules=load_runoff_rules() if runoff_rules is None else runoff_rules,
            recount_min_reporting=Fraction(str(r.recount_min_reporting)),
            lead_min_reporting=Fraction(str(r.lead_min_reporting)),
            lead_hold_polls=r.lead_hold_polls,
            lead_vote_floor=r.lead_vote_floor,
            milestones=tuple(sorted(set(r.milestones))),
            county_batch_min_votes=r.county_batch_min_votes,
            context=context_settings(self.context),
        )

    @property
    def level(self) -> Severity:
        return LEVELS[self.alerts.level]

    def database_url(self, env: Mapping[str, str] | None = None) -> str:
        env = os.environ if env is None else env
        url = env.get("DATABASE_URL") or self.store.database_url
        # Heroku still hands out postgres:// URLs, which SQLAlchemy 2 no longer accepts.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        return url


@dataclass(frozen=True)
class Secrets:
    """Read once from the environment; ``repr`` never shows a value."""

    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_api_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Secrets:
        env = os.environ if env is None else env
        url = env.get("SLACK_API_URL") or "https://slack.com/api/"
        return cls(
            env.get("SLACK_BOT_TOKEN") or None,
            env.get("SLACK_SIGNING_SECRET") or None,
            url if url.endswith("/") else url + "/",
        )

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token)

    def __repr__(self) -> str:
        return f"Secrets(slack_bot_token={'set' if self.slack_bot_token else 'unset'}, slack_signing_secret={'set' if self.slack_signing_secret else 'unset'}, slack_api_url={self.slack_api_url!r})"


def load_settings(path: str | os.PathLike[str] | None = None, *, text: str | None = None) -> Settings:
    """Read and validate a config file (``--config``, else ``$ELECTIONBOT_CONFIG``)."""
    if text is None:
        path = path or os.environ.get("ELECTIONBOT_CONFIG")
        if not path:
            raise ConfigError("no config file: pass --config FILE or set ELECTIONBOT_CONFIG (see config/example.toml)")
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path or '<text>'} is not valid TOML: {exc}") from None
    return settings_from_dict(data, source=str(path or "<text>"))


def settings_from_dict(data: Mapping[str, Any], source: str = "<config>") -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:5]:
            key = ".".join(str(p) for p in err["loc"]) or "(top level)"
            problems.append(f"{key}: {err['msg']}")
        raise ConfigError(f"invalid config {source}: " + "; ".join(problems)) from None


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


def _project_path(path: str) -> Path:
    """A path as given, or relative to the project (so ``config/seats.toml`` works from anywhere)."""
    given = Path(path).expanduser()
    if given.is_absolute() or given.exists():
        return given
    return PROJECT_DIR / given


def context_settings(cfg: ContextConfig) -> ContextSettings:
    """Read the baseline and seats files the config names; a bad one is a ``ConfigError`` naming it."""
    baselines: dict[str, Baseline] = {}
    for i, b in enumerate(cfg.baselines):
        try:
            if b.file is not None:
                baseline = load_baseline_csv(_project_path(b.file), label=b.label)
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
            seats = load_seats_config(_project_path(cfg.seats))
        except SeatsConfigError as exc:
            raise ConfigError(f"context.seats: {exc}") from None
    return ContextSettings(
        baselines=baselines,
        seats=seats,
        flip_min_counties=cfg.flip_min_counties,
        flip_min_margin=Fraction(str(cfg.flip_min_margin_points)) / 100,
    )
