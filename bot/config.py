"""Settings read once at start from the environment and `.env`."""

from __future__ import annotations

import json
import re
from datetime import time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.admin_ids import ACCOUNT, ADMIN_CHANNELS, admin_account, admin_entry

__all__ = ["ACCOUNT", "ADMIN_CHANNELS", "SIGNATURE_READINGS", "ConfigError", "Settings",
           "load_settings"]

# What the Zalo OA webhook signature hashes with the body: which id first, which secret last.
SIGNATURE_READINGS = ("app_id+secret_key", "app_id+app_secret", "oa_id+secret_key",
                      "oa_id+app_secret")

_CHANNEL_ID = re.compile(r"-100\d+")
_CHANNEL_NAME = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}")
_TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


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
    admin_ids: Annotated[tuple[int | str, ...], NoDecode] = ()
    timezone: str = "Asia/Ho_Chi_Minh"
    language: str = "vi"
    province_code: int = 91
    publish_chat_id: str | None = None
    dialog_timeout_hours: float = Field(default=24.0, gt=0)
    review_levels: int = Field(default=1, ge=1, le=2)
    notify_reviewers: bool = True
    reports_per_day: int = Field(default=5, ge=1)
    officer_reports_per_day: int = Field(default=50, ge=1)
    reminder_time: time = time(7, 30)
    reminder_lead_days: int = Field(default=3, ge=0, le=60)
    broadcast_rate: float = Field(default=25.0, gt=0)
    broadcast_per_chat: float = Field(default=1.0, ge=0)
    zalo_broadcast_rate: float = Field(default=10.0, gt=0)
    campaign: str = ""
    content_dir: Path | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    zalo_webhook_url: str | None = None
    zalo_webhook_secret: SecretStr | None = None
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(default=None, ge=1, le=65535)
    log_format: str = Field(default="text", pattern="^(text|json)$")
    zalo_bot_token: SecretStr | None = None
    zalo_api_url: str = "https://bot-api.zaloplatforms.com/bot"
    contact: str | None = Field(default=None, max_length=200)
    review_remind_days: int = Field(default=3, ge=0, le=60)
    review_digest_time: time = time(8, 0)
    # Zalo Official Account (README: "Going live on a Zalo Official Account").
    zalo_oa_app_id: str | None = None
    zalo_oa_app_secret: SecretStr | None = Field(default=None, validate_default=True)
    zalo_oa_secret_key: SecretStr | None = Field(default=None, validate_default=True)
    zalo_oa_webhook_url: str | None = Field(default=None, validate_default=True)
    zalo_oa_refresh_token: SecretStr | None = None
    zalo_oa_redirect_url: str | None = None
    zalo_oa_templates: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    zalo_oa_template_recipient: str = Field(default="user_id", pattern="^(user_id|recipient)$")
    zalo_oa_signature: Annotated[tuple[str, ...], NoDecode] = (
        "app_id+secret_key", "app_id+app_secret")
    zalo_oa_pkce: bool = True
    zalo_oa_window_hours: float = Field(default=168.0, gt=0, le=168)
    zalo_oa_buttons: int = Field(default=5, ge=0, le=10)
    zalo_oa_event_max_age_hours: float = Field(default=13.0, gt=0)
    zalo_oa_api_url: str = "https://openapi.zalo.me"
    zalo_oa_oauth_url: str = "https://oauth.zaloapp.com"
    backup_keep: int = Field(default=14, ge=1)
    gallery_url: str | None = None

    @field_validator(
        "telegram_bot_token", "zalo_bot_token", "telegram_webhook_secret", "zalo_webhook_secret",
        "telegram_webhook_url", "zalo_webhook_url", "http_port", "content_dir", mode="before",
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

    @field_validator("contact", mode="before")
    @classmethod
    def _one_line_contact(cls, value: object) -> object:
        """How people reach the board: one line (phone, address or link); empty means unset."""
        if not isinstance(value, str):
            return value
        if "\n" in value.strip() or "\r" in value.strip():
            raise ValueError("must be one line (a phone number, an address or a link)")
        return value.strip() or None

    @field_validator("publish_chat_id")
    @classmethod
    def _channel_id(cls, value: str | None) -> str | None:
        """Where posts go: a channel or supergroup id (-100…) or a public @channelname."""
        if value is not None and not (_CHANNEL_ID.fullmatch(value)
                                      or _CHANNEL_NAME.fullmatch(value)):
            raise ValueError("must be a channel id (-100 and digits) or @channelname")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """Telegram accepts 1–256 characters of A-Z, a-z, 0-9, _ and -."""
        if value is not None and not _TELEGRAM_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1 to 256 of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("zalo_webhook_secret")
    @classmethod
    def _zalo_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """Zalo accepts a secret token of 8–256 characters."""
        if value is not None and not 8 <= len(value.get_secret_value()) <= 256:
            raise ValueError("must be 8 to 256 characters")
        return value

    @field_validator("province_code")
    @classmethod
    def _known_province(cls, value: int) -> int:
        """A province the localities package knows (its communes are offered)."""
        from vietnam_provinces import ProvinceCode

        try:
            ProvinceCode(value)
        except ValueError:
            raise ValueError(f"unknown province code {value}") from None
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: object) -> object:
        """People, comma-separated: `123` or `telegram:123` (a Telegram id, kept as a number),
        `zalo:<id>`, `zalo_oa:<id>`, `console:<name>`; a list is read the same way."""
        if isinstance(value, int):
            return (value,)
        parts = value.split(",") if isinstance(value, str) else value
        if not isinstance(parts, list | tuple):
            return value
        return tuple(admin_entry(part) for part in parts if str(part).strip())

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

    @field_validator("zalo_oa_app_id", "zalo_oa_app_secret", "zalo_oa_secret_key",
                     "zalo_oa_webhook_url", "zalo_oa_refresh_token", "zalo_oa_redirect_url",
                     mode="before")
    @classmethod
    def _oa_empty_is_none(cls, value: object) -> object:
        """An empty Zalo OA value in `.env` means it is not set."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("zalo_oa_app_secret", "zalo_oa_secret_key", "zalo_oa_webhook_url")
    @classmethod
    def _oa_needs(cls, value: object, info: ValidationInfo) -> object:
        """A Zalo OA needs its app secret, its webhook key and its webhook URL with its app id."""
        if value is None and info.data.get("zalo_oa_app_id"):
            raise ValueError("required when ZALO_OA_APP_ID is set")
        return value

    @field_validator("zalo_oa_webhook_url", "zalo_oa_redirect_url")
    @classmethod
    def _oa_https(cls, value: str | None) -> str | None:
        """Zalo calls the webhook, and sends the admin back, over HTTPS only."""
        if value is not None and not value.startswith("https://"):
            raise ValueError("must start with https://")
        return value

    @field_validator("zalo_oa_api_url", "zalo_oa_oauth_url")
    @classmethod
    def _oa_base_url(cls, value: str) -> str:
        """A base URL the API paths are appended to."""
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("zalo_oa_templates", mode="before")
    @classmethod
    def _oa_templates(cls, value: object) -> object:
        """A JSON object, or `kind=template_id` pairs separated by commas."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("{"):
            try:
                parsed = json.loads(text)
            except ValueError as exc:
                raise ValueError("not a JSON object of notice kind to template id") from exc
            if not isinstance(parsed, dict):
                raise ValueError("not a JSON object of notice kind to template id")
            return {str(k): str(v) for k, v in parsed.items()}
        pairs = {}
        for item in filter(None, (p.strip() for p in text.split(","))):
            kind, sep, template = item.partition("=")
            if not sep or not kind.strip() or not template.strip():
                raise ValueError(f"expected kind=template_id, got {item!r}")
            pairs[kind.strip()] = template.strip()
        return pairs

    @field_validator("zalo_oa_signature", mode="before")
    @classmethod
    def _oa_signature(cls, value: object) -> object:
        """Which readings of the webhook signature are accepted, comma-separated."""
        items = [p.strip() for p in value.split(",") if p.strip()] if isinstance(value, str) \
            else value
        if not isinstance(items, list | tuple) or not items:
            raise ValueError(f"list one or more of {', '.join(SIGNATURE_READINGS)}")
        for item in items:
            if item not in SIGNATURE_READINGS:
                raise ValueError(f"unknown reading {item!r}; use {', '.join(SIGNATURE_READINGS)}")
        return tuple(items)

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

    @field_validator("content_dir")
    @classmethod
    def _folder(cls, value: Path | None) -> Path | None:
        """The operator's content folder: absent is fine (nothing added), a file is not."""
        if value is not None and value.exists() and not value.is_dir():
            raise ValueError(f"{value} is not a folder")
        return value

    @property
    def content_folder(self) -> Path:
        """CONTENT_DIR, or a `content/` folder beside the database (kept across upgrades)."""
        return self.content_dir or self.database_path.parent / "content"
    @property
    def admin_accounts(self) -> frozenset[tuple[str, str]]:
        """ADMIN_IDS as (channel, account id) pairs."""
        return frozenset(admin_account(entry) for entry in self.admin_ids)

    def lists_admin(self, channel: str, external_id: str) -> bool:
        """Whether ADMIN_IDS names this account, on its own channel."""
        return (channel, external_id) in self.admin_accounts

    @property
    def tz(self) -> ZoneInfo:
        """The zone every date is shown and scheduled in."""
        return ZoneInfo(self.timezone)


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning a validation failure into one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except OSError as exc:  # a .env in this folder the user may not read (root's, mode 600)
        raise ConfigError(f"Cannot read {exc.filename or '.env'}: {exc.strerror}; run from"
                          " another folder or as the file's owner") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "configuration"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"Invalid setting {name}: {message}") from None
