"""Settings: a TOML file validated by pydantic, secrets from the environment only.

A bad file is one clear ``ConfigError`` naming the key (``feeds.0.interval_seconds: …``) and
the command line exits 2; nothing starts half-configured.

Plain data only: this package imports no ``bot`` module (an import-linter contract). What the
checks name against (feed kinds, states, offices) comes in as a ``Vocabulary`` from the app, and
``bot.app.settings`` turns these models into the bot's types (feed specs, rule settings, follow
lists, the context files).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

CONFIG_DIR = Path(__file__).resolve().parent
PROJECT_DIR = CONFIG_DIR.parent
RECOUNT_RULES = CONFIG_DIR / "recount_rules.toml"
RUNOFF_RULES = CONFIG_DIR / "runoff_rules.toml"


class ConfigError(Exception):
    """The configuration cannot be used; the message says which key and why."""


#: Defaults the bot's own constants also name (bot.core.digest.DIGEST_AFTER_RACES,
#: bot.delivery.budget.MESSAGES_PER_MINUTE, bot.core.follow.SMALL_FEED); a unit test pins them equal.
DIGEST_AFTER_RACES = 5
MESSAGES_PER_MINUTE = 10
SMALL_FEED = 20
UNEXPECTED_TRIES = 5


@dataclass(frozen=True)
class Vocabulary:
    """What the checks name against, handed in by the app (``bot.app.settings.VOCABULARY``) so
    this package needs no ``bot`` import: the registered feed kinds, a state's postal code for a
    name or code, and whether an office name is known."""

    feed_kinds: tuple[str, ...]
    state_postal: Callable[[str], str | None]
    office_known: Callable[[str], bool]
    offices: tuple[str, ...]  # named in the error for an unknown office


def _vocabulary(info: ValidationInfo) -> Vocabulary:
    found = info.context.get("vocabulary") if isinstance(info.context, dict) else None
    if not isinstance(found, Vocabulary):
        raise ValueError("settings are validated with a vocabulary: use bot.app.settings.settings_from_dict")
    return found


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
    def _known_kind(cls, value: str, info: ValidationInfo) -> str:
        kinds = _vocabulary(info).feed_kinds
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


Style = Literal["cards", "messages", "quiet"]


def _race_key(value: str, vocabulary: Vocabulary) -> str:
    """'AL-1000' (a state's postal code, a dash, the feed's race id), upper-cased."""
    state, dash, race_id = value.strip().partition("-")
    postal = vocabulary.state_postal(state) if len(state) == 2 else None
    if not dash or not race_id.strip() or postal is None:
        raise ValueError(
            f"{value!r} is not a race key: write the state's postal code, a dash and the feed's race id (\"AL-1000\")"
        )
    return f"{postal}-{race_id.strip()}"


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
    def _states(cls, values: list[str], info: ValidationInfo) -> list[str]:
        vocabulary = _vocabulary(info)
        out = []
        for value in values:
            postal = vocabulary.state_postal(value)
            if postal is None:
                raise ValueError(f'unknown state {value!r}: give a postal code such as "GA"')
            out.append(postal)
        return out

    @field_validator("offices")
    @classmethod
    def _offices(cls, values: list[str], info: ValidationInfo) -> list[str]:
        vocabulary = _vocabulary(info)
        for value in values:
            if not vocabulary.office_known(value):
                known = ", ".join(vocabulary.offices)
                raise ValueError(f"unknown office {value!r}; known: {known}")
        return values

    @field_validator("races")
    @classmethod
    def _races(cls, values: list[str], info: ValidationInfo) -> list[str]:
        vocabulary = _vocabulary(info)
        return [_race_key(v, vocabulary) for v in values]


class AlertSettings(_Model):
    channels: list[Annotated[str, Field(min_length=1, max_length=80)]] = []
    #: Discord channel ids (snowflakes) the bot posts to with DISCORD_BOT_TOKEN; webhooks
    #: (DISCORD_WEBHOOK_URLS) are secrets and come from the environment only (docs/discord.md)
    discord_channels: list[Annotated[str, Field(pattern=r"^[0-9]{15,25}$")]] = []
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
    #: per channel (id or name as in channels, or a subscribed channel's id), instead of
    #: messages_per_minute: ``[alerts.channel_messages_per_minute] "#desk" = 60``
    channel_messages_per_minute: dict[
        Annotated[str, Field(min_length=1, max_length=80)], Annotated[int, Field(ge=0, le=600)]
    ] = {}
    #: an alert whose sending fails this many times with an error no platform gives (a renderer
    #: or client bug) is set aside as failed, so its channel goes on; 429s and outages never count
    unexpected_tries: Annotated[int, Field(ge=1, le=1000)] = UNEXPECTED_TRIES
    #: the night's key races (race keys), which a follow list names with key_races = true
    key_races: list[str] = []
    #: what every channel follows (unset: every race of a feed with at most follow_all_up_to races)
    follow: FollowSettings | None = None
    #: per channel (id or name as in channels), instead of follow
    channel_follow: dict[str, FollowSettings] = {}
    follow_all_up_to: Annotated[int, Field(ge=0, le=100_000)] = SMALL_FEED
    #: the night's chart and the swing map go with each call, uploaded into the card's thread or
    #: after the call (issue 17); None: on when matplotlib is installed (the figures need it)
    pictures: bool | None = None

    @field_validator("key_races")
    @classmethod
    def _key_races(cls, values: list[str], info: ValidationInfo) -> list[str]:
        vocabulary = _vocabulary(info)
        return [_race_key(v, vocabulary) for v in values]


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
        if value is not None and not project_path(value).is_file():
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
        if value and not project_path(value).is_file():
            raise ValueError(f"no such seats file: {value}")
        return value


class StoreSettings(_Model):
    database_url: str = "sqlite:///electionbot.db"
    #: days each race's history rows (the night's chart) are kept after they were written
    history_days: Annotated[int, Field(ge=1)] = 14


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

    def database_url(self, env: Mapping[str, str] | None = None) -> str:
        env = os.environ if env is None else env
        url = env.get("DATABASE_URL") or self.store.database_url
        # Heroku still hands out postgres:// URLs, which SQLAlchemy 2 no longer accepts.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        return url


DISCORD_API_URL = "https://discord.com/api/v10/"


@dataclass(frozen=True)
class Secrets:
    """Read once from the environment; ``repr`` never shows a value, only whether it is set.

    Everything a platform needs that must not sit in a config file lives here: tokens, signing
    secrets and keys, webhook URLs (a Discord webhook URL carries its own token), the OAuth
    client's secret. The API base URLs are here too so tests can point each platform at a local
    fake server without a config file."""

    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_api_url: str
    #: Socket Mode (``python -m bot socket``): the app-level token, ``xapp-…``.
    slack_app_token: str | None = None
    #: OAuth distribution to many workspaces.
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    #: Discord: the bot token (alerts to channels, cards, command registration), the
    #: application's public key (hex, Ed25519: verifies interactions) and id, incoming webhooks.
    discord_bot_token: str | None = None
    discord_public_key: str | None = None
    discord_application_id: str | None = None
    discord_webhook_urls: tuple[str, ...] = ()
    discord_api_url: str = DISCORD_API_URL
    #: where the web process is reachable from outside (signed picture links), and the key that
    #: signs those links.
    public_url: str | None = None
    link_signing_key: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Secrets:
        env = os.environ if env is None else env
        url = env.get("SLACK_API_URL") or "https://slack.com/api/"
        discord = env.get("DISCORD_API_URL") or DISCORD_API_URL
        hooks = tuple(h.strip() for h in (env.get("DISCORD_WEBHOOK_URLS") or "").split(",") if h.strip())
        return cls(
            env.get("SLACK_BOT_TOKEN") or None,
            env.get("SLACK_SIGNING_SECRET") or None,
            url if url.endswith("/") else url + "/",
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            slack_client_id=env.get("SLACK_CLIENT_ID") or None,
            slack_client_secret=env.get("SLACK_CLIENT_SECRET") or None,
            discord_bot_token=env.get("DISCORD_BOT_TOKEN") or None,
            discord_public_key=env.get("DISCORD_PUBLIC_KEY") or None,
            discord_application_id=env.get("DISCORD_APPLICATION_ID") or None,
            discord_webhook_urls=hooks,
            discord_api_url=discord if discord.endswith("/") else discord + "/",
            public_url=(env.get("PUBLIC_URL") or "").rstrip("/") or None,
            link_signing_key=env.get("LINK_SIGNING_KEY") or None,
        )

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token)

    @property
    def slack_oauth_enabled(self) -> bool:
        """Distributed to many workspaces: each one's own token from the installation store."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def posts_somewhere(self) -> bool:
        """Alerts reach a chat platform; otherwise ``poll`` and ``serve`` print them instead."""
        return self.slack_enabled or self.slack_oauth_enabled or self.discord_enabled

    @property
    def discord_enabled(self) -> bool:
        """Alerts can go to Discord: a bot token (channels) or at least one webhook."""
        return bool(self.discord_bot_token or self.discord_webhook_urls)

    def __repr__(self) -> str:
        def shown(name: str, value: object) -> str:
            return f"{name}={'set' if value else 'unset'}"

        hidden = (
            ("slack_bot_token", self.slack_bot_token),
            ("slack_signing_secret", self.slack_signing_secret),
            ("slack_app_token", self.slack_app_token),
            ("slack_client_secret", self.slack_client_secret),
            ("discord_bot_token", self.discord_bot_token),
            ("discord_webhook_urls", self.discord_webhook_urls),
            ("link_signing_key", self.link_signing_key),
        )
        parts = [shown(name, value) for name, value in hidden]
        parts += [f"slack_api_url={self.slack_api_url!r}", f"discord_api_url={self.discord_api_url!r}"]
        return f"Secrets({', '.join(parts)})"


def load_settings(
    path: str | os.PathLike[str] | None = None, *, text: str | None = None, vocabulary: Vocabulary
) -> Settings:
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
    return settings_from_dict(data, source=str(path or "<text>"), vocabulary=vocabulary)


def settings_from_dict(data: Mapping[str, Any], source: str = "<config>", *, vocabulary: Vocabulary) -> Settings:
    try:
        return Settings.model_validate(data, context={"vocabulary": vocabulary})
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:5]:
            key = ".".join(str(p) for p in err["loc"]) or "(top level)"
            problems.append(f"{key}: {err['msg']}")
        raise ConfigError(f"invalid config {source}: " + "; ".join(problems)) from None


def project_path(path: str) -> Path:
    """A path as given, or relative to the project (so ``config/seats.toml`` works from anywhere)."""
    given = Path(path).expanduser()
    if given.is_absolute() or given.exists():
        return given
    return PROJECT_DIR / given
