"""Settings read once at start from the environment and `.env`."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["ConfigError", "Settings", "load_settings"]


class ConfigError(Exception):
    """A configuration value is wrong; the message names the variable in one line."""


class Settings(BaseSettings):
    """Every operator-facing setting, by its public environment name."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    database_path: Path = Path("data/guongsang.sqlite3")
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    timezone: str = "Asia/Ho_Chi_Minh"
    language: str = "vi"
    province_code: int = 91
    publish_chat_id: str | None = None
    dialog_timeout_hours: float = Field(default=24.0, gt=0)
    review_levels: int = Field(default=1, ge=1, le=2)
    notify_reviewers: bool = True
    reports_per_day: int = Field(default=5, ge=1)
    reminder_time: time = time(7, 30)
    reminder_lead_days: int = Field(default=3, ge=0, le=60)
    broadcast_rate: float = Field(default=25.0, gt=0)
    broadcast_per_chat: float = Field(default=1.0, ge=0)
    zalo_broadcast_rate: float = Field(default=10.0, gt=0)
    campaign: str = "an-giang-2025"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    zalo_webhook_url: str | None = None
    zalo_webhook_secret: SecretStr | None = None
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(default=None, ge=1, le=65535)
    log_format: str = Field(default="text", pattern="^(text|json)$")
    zalo_bot_token: SecretStr | None = None
    zalo_api_url: str = "https://bot-api.zaloplatforms.com/bot"
    gallery_url: str | None = None

    @field_validator(
        "telegram_bot_token", "zalo_bot_token", "telegram_webhook_secret", "zalo_webhook_secret",
        "telegram_webhook_url", "zalo_webhook_url", "http_port", mode="before",
    )
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        """An empty token in `.env` means the channel is not configured."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("gallery_url", mode="before")
    @classmethod
    def _gallery_address(cls, value: object) -> object:
        """The public gallery's address: http(s), kept without a trailing slash."""
        if isinstance(value, str):
            value = value.strip().rstrip("/")
            if not value:
                return None
            if not value.startswith(("http://", "https://")) or "?" in value or "#" in value:
                raise ValueError("must be an http:// or https:// address, e.g."
                                 " https://guongsang.example.gov.vn")
        return value

    @field_validator("publish_chat_id", mode="before")
    @classmethod
    def _empty_chat_is_none(cls, value: object) -> object:
        """An empty publish chat means publishing is off."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: object) -> object:
        """Accept `1,2, 3` as well as a list."""
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            for part in parts:
                if not part.lstrip("-").isdecimal():
                    raise ValueError(f"not a numeric Telegram user id: {part!r}")
            return tuple(int(p) for p in parts)
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        """The zone must exist in the zone database."""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        """Only the shipped catalogues; a locale-style value ('en_US:en', 'vi_VN') is read too."""
        language = value.split(":")[0].split("_")[0].split(".")[0].strip().lower()
        if language not in ("vi", "en"):
            raise ValueError("must be 'vi' or 'en'")
        return language

    @field_validator("telegram_webhook_url", "zalo_webhook_url")
    @classmethod
    def _https_webhook(cls, value: str | None) -> str | None:
        """The platforms call webhooks over HTTPS only."""
        if value is not None and not value.startswith("https://"):
            raise ValueError("must start with https://")
        return value

    @field_validator("telegram_api_url", "zalo_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        """A base URL the token is appended to."""
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The zone every date is shown and scheduled in."""
        return ZoneInfo(self.timezone)


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning a validation failure into one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "configuration"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"Invalid setting {name}: {message}") from None
