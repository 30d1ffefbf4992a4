"""The Zalo OA HTTP API: OAuth v4 token calls, and OA calls carrying the `access_token` header."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

__all__ = ["OAuthRefused", "OAuthUnavailable", "OaApi", "OaApiError", "TokenPair"]

DEFAULT_LIFETIME = 90_000.0  # seconds: the documented 25 h, when the answer does not say


class OaApiError(Exception):
    """The OA API refused a call: a negative Zalo `error` code, or an HTTP status."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message


class OAuthRefused(Exception):
    """The OAuth server refused a code or a refresh token: an admin must grant the app again."""


class OAuthUnavailable(Exception):
    """The OAuth server could not be asked (network, 5xx): the token is untouched, try later."""


@dataclass(frozen=True, slots=True)
class TokenPair:
    """What a token call returns: a new access token, a new single-use refresh token."""

    access_token: str
    refresh_token: str
    expires_in: float


def _lifetime(value: object) -> float:
    """`expires_in` arrives as a string of seconds; anything unreadable means the usual 25 h."""
    try:
        seconds = float(str(value))
    except ValueError:
        return DEFAULT_LIFETIME
    return seconds if seconds > 0 else DEFAULT_LIFETIME


class OaApi:
    """One HTTP client for `ZALO_OA_OAUTH_URL` and `ZALO_OA_API_URL`."""

    def __init__(self, app_id: str, app_secret: str, *, api_url: str, oauth_url: str,
                 transport: httpx.AsyncBaseTransport | None = None, timeout: float = 20.0
                 ) -> None:
        self.app_id = app_id
        self._secret = app_secret
        self._api = api_url.rstrip("/")
        self._oauth = oauth_url.rstrip("/")
        self.timeout = timeout
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout)

    # --- OAuth v4 -----------------------------------------------------------------------------

    def permission_url(self, redirect_uri: str, challenge: str | None, state: str) -> str:
        """The consent link an OA admin opens to grant this app."""
        query = {"app_id": self.app_id, "redirect_uri": redirect_uri}
        if challenge:
            query["code_challenge"] = challenge
        query["state"] = state
        return f"{self._oauth}/v4/oa/permission?{urlencode(query)}"

    async def exchange_code(self, code: str, verifier: str | None) -> TokenPair:
        """Trade the code from the consent page for the first pair."""
        form = {"code": code, "app_id": self.app_id, "grant_type": "authorization_code"}
        if verifier:
            form["code_verifier"] = verifier
        return await self._token(form)

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Trade the refresh token (it dies at once) for a new pair."""
        return await self._token({"refresh_token": refresh_token, "app_id": self.app_id,
                                  "grant_type": "refresh_token"})

    async def _token(self, form: dict[str, str]) -> TokenPair:
        try:
            response = await self._http.post(f"{self._oauth}/v4/oa/access_token", data=form,
                                             headers={"secret_key": self._secret})
        except httpx.HTTPError as exc:
            raise OAuthUnavailable(type(exc).__name__) from exc
        if response.status_code >= 500:
            raise OAuthUnavailable(f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise OAuthUnavailable(f"HTTP {response.status_code}, not JSON") from None
        if isinstance(body, dict) and body.get("access_token") and body.get("refresh_token"):
            return TokenPair(str(body["access_token"]), str(body["refresh_token"]),
                             _lifetime(body.get("expires_in")))
        if not isinstance(body, dict):
            raise OAuthRefused(f"HTTP {response.status_code}")
        reason = (body.get("error_description") or body.get("error_name")
                  or body.get("message") or "refused")
        raise OAuthRefused(f"{body.get('error', response.status_code)} {reason}")

    # --- the OA API -----------------------------------------------------------------------------

    def _headers(self, access_token: str) -> dict[str, str]:
        proof = hmac.new(self._secret.encode(), access_token.encode(), hashlib.sha256)
        return {"access_token": access_token, "appsecret_proof": proof.hexdigest()}

    async def post(self, path: str, access_token: str, payload: dict[str, Any]) -> Any:
        """POST a JSON body to `<ZALO_OA_API_URL>/<path>`; the answer's `data`."""
        response = await self._http.post(f"{self._api}/{path}", json=payload,
                                         headers=self._headers(access_token))
        return _unwrap(response)

    async def get(self, path: str, access_token: str, data: dict[str, Any]) -> Any:
        """GET with the parameters as one `data=<JSON>` query parameter; the answer's `data`."""
        response = await self._http.get(
            f"{self._api}/{path}", params={"data": json.dumps(data, separators=(",", ":"))},
            headers=self._headers(access_token),
        )
        return _unwrap(response)

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()


def _unwrap(response: httpx.Response) -> Any:
    """`{data, error, message}`: a non-zero `error` (sent with HTTP 200) is a failure."""
    try:
        body = response.json()
    except ValueError:
        raise OaApiError(response.status_code, "not JSON") from None
    if not isinstance(body, dict):
        raise OaApiError(response.status_code, "not an object")
    try:
        error = int(body.get("error") or 0)
    except (TypeError, ValueError):
        error = response.status_code
    if error:
        raise OaApiError(error, str(body.get("message") or ""))
    if response.status_code >= 400:
        raise OaApiError(response.status_code, str(body.get("message") or ""))
    return body.get("data")
