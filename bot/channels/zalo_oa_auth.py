"""`python -m bot zalo-oa authorize`: the OA admin's consent link (with PKCE), and the code they
paste back exchanged for the first token pair, saved in the database. No token is printed."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta
from typing import TextIO
from urllib.parse import parse_qs, urlsplit

import httpx

from bot.channels.zalo_oa_api import OaApi, OAuthRefused, OAuthUnavailable
from bot.channels.zalo_oa_tokens import utcnow
from bot.config import Settings
from bot.storage import open_storage
from bot.storage.zalo_oa import ZaloOaStore

__all__ = ["authorize", "challenge_of", "code_from", "new_verifier"]


def new_verifier() -> str:
    """A PKCE verifier: 43 URL-safe characters."""
    return secrets.token_urlsafe(32)[:43]


def challenge_of(verifier: str) -> str:
    """The PKCE challenge: base64url, without padding, of the verifier's raw SHA-256."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def code_from(pasted: str, state: str) -> str:
    """The code in what the admin pasted: the address the consent page sent them to, or the
    code alone. A different `state` in the address means another link: refused."""
    text = pasted.strip()
    if "code=" not in text:
        return text
    params = parse_qs(urlsplit(text).query or text)
    given_state = params.get("state", [state])[0]
    if given_state != state:
        raise ValueError("that address comes from another permission link (state differs)")
    return params.get("code", [""])[0].strip()


async def authorize(settings: Settings, stdin: TextIO, stdout: TextIO, *, code: str | None = None,
                    renew: bool = False, transport: httpx.AsyncBaseTransport | None = None) -> int:
    """Print the permission link, read the code, store the pair; return the exit code."""
    if not settings.zalo_oa_app_id or settings.zalo_oa_app_secret is None:
        print("ZALO_OA_APP_ID and ZALO_OA_APP_SECRET must be set to authorise a Zalo OA.",
              file=stdout)
        return 2
    if not settings.zalo_oa_redirect_url:
        print("Set ZALO_OA_REDIRECT_URL to the callback URL saved in the app console"
              " (the Official Account's general settings page).", file=stdout)
        return 2
    storage = await open_storage(settings.database_path)
    api = OaApi(settings.zalo_oa_app_id, settings.zalo_oa_app_secret.get_secret_value(),
                api_url=settings.zalo_oa_api_url, oauth_url=settings.zalo_oa_oauth_url,
                transport=transport)
    try:
        store = ZaloOaStore(storage.db)
        verifier, state = await store.pkce(new_verifier(), secrets.token_urlsafe(12), utcnow(),
                                           renew=renew)
        challenge = challenge_of(verifier) if settings.zalo_oa_pkce else None
        print("1. As an admin of the Official Account, open this link and allow the app:",
              file=stdout)
        print(api.permission_url(settings.zalo_oa_redirect_url, challenge, state), file=stdout)
        if challenge:
            print(f"   If the app console asks for the code challenge, it is: {challenge}",
                  file=stdout)
        print("2. Paste the address Zalo sent you to (or just its code), then Enter:",
              file=stdout)
        stdout.flush()
        try:
            pasted = code if code is not None else stdin.readline()
            given = code_from(pasted, state)
        except ValueError as exc:
            print(f"Not exchanged: {exc}.", file=stdout)
            return 2
        if not given:
            print("No code given: nothing changed.", file=stdout)
            return 2
        try:
            pair = await api.exchange_code(given, verifier if challenge else None)
        except OAuthRefused as exc:
            print(f"Zalo refused the code ({exc}): open the link again; a code works once,"
                  " for 10 minutes.", file=stdout)
            return 2
        except OAuthUnavailable as exc:
            print(f"Could not reach Zalo ({exc}): nothing changed; try again.", file=stdout)
            return 2
        now = utcnow()
        until = now + timedelta(seconds=pair.expires_in)
        seeded = settings.zalo_oa_refresh_token
        await store.authorised(pair.access_token, pair.refresh_token, until, now,
                               seeded.get_secret_value() if seeded else None)
        local = until.astimezone(settings.tz).strftime("%d/%m/%Y %H:%M")
        print(f"Authorised: the tokens are saved in {settings.database_path}; the access token"
              f" is valid until {local} and renews itself.", file=stdout)
        return 0
    finally:
        await api.close()
        await storage.close()
