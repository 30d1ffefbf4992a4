"""The Zalo OA channel built from the settings: API client, token keeper, sender, webhook."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
from aiohttp import web

from bot.channels.downloads import HttpDownloads
from bot.channels.zalo_oa import Handle, ZaloOaChannel
from bot.channels.zalo_oa_api import OaApi
from bot.channels.zalo_oa_send import OaOptions
from bot.channels.zalo_oa_tokens import Clock, TokenKeeper, utcnow
from bot.channels.zalo_oa_webhook import Signature, webhook
from bot.config import Settings
from bot.storage import Database
from bot.storage.zalo_oa import ZaloOaStore

__all__ = ["build_zalo_oa"]

Handler = Callable[[web.Request], Awaitable[web.Response]]


def build_zalo_oa(
    settings: Settings, db: Database, handle: Handle, *,
    on_state: Callable[[str], None] | None = None, clock: Clock = utcnow,
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[ZaloOaChannel, Handler]:
    """The channel and its webhook handler (not started: seed the keeper, then replay)."""
    assert settings.zalo_oa_app_id and settings.zalo_oa_app_secret and settings.zalo_oa_secret_key
    app_secret = settings.zalo_oa_app_secret.get_secret_value()
    api = OaApi(settings.zalo_oa_app_id, app_secret, api_url=settings.zalo_oa_api_url,
                oauth_url=settings.zalo_oa_oauth_url, transport=transport)
    admins = sorted(settings.admin_accounts)
    keeper = TokenKeeper(ZaloOaStore(db), api, clock=clock, admin_chats=admins, on_state=on_state)
    options = OaOptions(
        window=timedelta(hours=settings.zalo_oa_window_hours),
        max_buttons=settings.zalo_oa_buttons, templates=dict(settings.zalo_oa_templates),
        template_recipient=settings.zalo_oa_template_recipient, language=settings.language,
    )
    max_age = timedelta(hours=settings.zalo_oa_event_max_age_hours)
    channel = ZaloOaChannel(api, keeper, handle, options=options, clock=clock, max_age=max_age,
                            downloads=HttpDownloads(transport=transport))
    signature = Signature(settings.zalo_oa_app_id, settings.zalo_oa_secret_key.get_secret_value(),
                          app_secret, settings.zalo_oa_signature)
    return channel, webhook(signature, channel.receive, max_age=max_age, clock=clock)
