"""A fake Zalo OA platform on 127.0.0.1: the OAuth v4 token endpoint, the OA API, and the webhook
sender, answering as ../shared/design/ZALO_OA.md documents and recording every request.

* POST /v4/oa/access_token (form, header `secret_key`): a code from `consent()` (once, 10 min,
  its PKCE challenge checked) or a refresh token (single-use: it dies when used) → a new pair,
  `expires_in` a string; anything else → `{"error": -14014, "error_name": …}` (HTTP 200; the
  real OAuth error codes are not in our sources, -14014 is this fake's).
* POST /v3.0/oa/message/cs, /v3.0/oa/message/template; GET /v3.0/oa/user/detail?data=<JSON>:
  header `access_token` (unknown → -216, expired → -220), `appsecret_proof` checked when sent
  (-242); cs only inside the 7-day window of the user's last interaction (-230), never to a user
  who unfollowed (-213); text ≤ 2,000, ≤ 5 buttons with titles ≤ 100 (-201). Errors come with
  HTTP 200 and a negative `error`.
* `deliver(event)` POSTs an event to `webhook_url`, signed `mac=sha256(app_id + body + timestamp +
  key)`; a user event or a follow opens that user's window at the fake clock.

* GET /files/<key>/<name>: a file a user sent (`upload()` gives its URL, as `user_send_file`
  carries it in `payload.url`), streamed in chunks with or without a Content-Length; each
  request is recorded, and the file counts the bytes written to the bot.

`clock` (a TravelClock shared with the bot) is the platform's time: `clock.travel(days=8)`.
`fail_next(path, error)` answers the next call of a path with an error; `requests` holds every
call in order with its answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.zalo_oa_auth import challenge_of

__all__ = ["APP_ID", "APP_SECRET", "OA_ID", "SECRET_KEY", "FakeOa", "OaFile", "OaRequest",
           "TravelClock"]

APP_ID = "4291763606161179100"
APP_SECRET = "FakeOaAppSecretNeverReal"
SECRET_KEY = "FakeOaWebhookKeyNeverReal"
OA_ID = "2496711230432341234"
WINDOW = timedelta(days=7)
MAX_TEXT, MAX_BUTTONS, MAX_TITLE = 2000, 5, 100
BUTTON_TYPES = ("oa.open.url", "oa.query.show", "oa.query.hide", "oa.open.sms", "oa.open.phone")
ERRORS = {
    -32: "Rate limit exceeded", -201: "Invalid parameter", -211: "Out of quota",
    -213: "User has not followed OA", -216: "Access token is invalid",
    -220: "Access token has expired or has been removed", -230:
    "User has not interacted with the OA in the past 7 days", -232: "Out of interaction time",
    -242: "Invalid appsecret_proof", -249: "Template is not sendable by UID",
}


class TravelClock:
    """Now, moved forward by `travel`: the time of both the fake platform and the bot."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def travel(self, **delta: float) -> None:
        """Move time forward."""
        self.offset += timedelta(**delta)


@dataclass
class OaRequest:
    """One call the bot made: path, headers, the body (JSON, form or the `data` parameter)."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int = 0
    answer: dict[str, Any] = field(default_factory=dict)

    @property
    def error(self) -> int:
        return int(self.answer.get("error") or 0)


@dataclass
class OaFile:
    """A file a user sent, as the platform keeps it: `data` repeated `repeat` times, answered
    with `status`, with a Content-Length unless `declare` is False (chunked)."""

    data: bytes
    repeat: int = 1
    status: int = 200
    declare: bool = True
    served: int = 0  # bytes written to the bot so far

    @property
    def size(self) -> int:
        return len(self.data) * self.repeat


class FakeOa:
    """`async with FakeOa(clock) as oa:`; `oa.url` is both ZALO_OA_API_URL and ZALO_OA_OAUTH_URL."""

    def __init__(self, clock: TravelClock | None = None, *, key: str = SECRET_KEY,
                 lifetime: int = 90_000) -> None:
        self.clock = clock or TravelClock()
        self.key = key  # what signs webhooks (the OA secret key, unless a test says otherwise)
        self.lifetime = lifetime
        self.requests: list[OaRequest] = []
        self.webhook_url = ""
        self.deliveries: list[tuple[dict[str, Any], int]] = []
        self.access: dict[str, datetime] = {}
        self.refresh: dict[str, datetime] = {}
        self.codes: dict[str, tuple[str | None, datetime]] = {}
        self.interactions: dict[str, datetime] = {}
        self.unfollowed: set[str] = set()
        self.profiles: dict[str, str] = {}
        self.templates: dict[str, tuple[str, ...]] = {}
        self.refresh_delay = 0.0
        self.detail_delays: list[float] = []  # seconds before answering the next profile calls
        self.oauth_down = 0
        self.files: dict[str, OaFile] = {}
        self._failures: dict[str, list[int]] = {}
        self._ids = itertools.count(1)
        self._server: TestServer | None = None

    async def __aenter__(self) -> FakeOa:
        app = web.Application()
        app.router.add_post("/v4/oa/access_token", self._token)
        app.router.add_post("/v3.0/oa/message/cs", self._cs)
        app.router.add_post("/v3.0/oa/message/template", self._template)
        app.router.add_get("/v3.0/oa/user/detail", self._detail)
        app.router.add_get("/files/{key}/{name}", self._file)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        await self._server.close()

    @property
    def url(self) -> str:
        assert self._server is not None, "enter the context first"
        return str(self._server.make_url("")).rstrip("/")

    # --- scripting ----------------------------------------------------------------------------

    def grant(self) -> str:
        """A refresh token as the API explorer gives one (for ZALO_OA_REFRESH_TOKEN)."""
        token = f"rt-{secrets.token_urlsafe(16)}"
        self.refresh[token] = self.clock() + timedelta(days=90)
        return token

    def consent(self, challenge: str | None = None) -> str:
        """What an OA admin gets after allowing the app: a code, valid once for 10 minutes."""
        code = f"code-{secrets.token_urlsafe(12)}"
        self.codes[code] = (challenge, self.clock() + timedelta(minutes=10))
        return code

    def fail_next(self, path: str, *errors: int) -> None:
        """Answer the next calls of `path` (e.g. "message/cs", "access_token") with these errors."""
        self._failures.setdefault(path, []).extend(errors)

    def interacts(self, user: str) -> None:
        """The user wrote to the OA now (without a webhook: for tests of the sender alone)."""
        self.interactions[user] = self.clock()
        self.unfollowed.discard(user)

    def revoke_access(self) -> None:
        """Every access token issued so far stops working (an admin revoked the app, or 25 h)."""
        self.access.clear()

    def upload(self, name: str, file: OaFile) -> str:
        """Keep a file a user sends; the URL its `user_send_file` event carries."""
        key = secrets.token_hex(8)
        self.files[key] = file
        return f"{self.url}/files/{key}/{name}"

    # --- reading ------------------------------------------------------------------------------

    def calls(self, path: str) -> list[OaRequest]:
        """Every request to a path ending in `path`, in order."""
        return [r for r in self.requests if r.path.endswith(path)]

    def messages(self, user: str | None = None) -> list[dict[str, Any]]:
        """The `message` objects the platform accepted as consultation messages (to a user)."""
        return [r.body["message"] for r in self.calls("message/cs") if r.error == 0
                and (user is None or r.body["recipient"]["user_id"] == user)]

    def texts(self, user: str | None = None) -> list[str]:
        """Texts accepted (to a user), in order."""
        return [m["text"] for m in self.messages(user) if "text" in m]

    def refreshes(self) -> list[OaRequest]:
        """Every refresh asked for, accepted or not."""
        return [r for r in self.calls("access_token") if r.body.get("grant_type") ==
                "refresh_token"]

    # --- the webhook --------------------------------------------------------------------------

    def sign(self, raw: bytes, timestamp: str, *, app_id: str = APP_ID) -> str:
        """The header value the platform sends with this body."""
        data = app_id.encode() + raw + timestamp.encode() + self.key.encode()
        return f"mac={hashlib.sha256(data).hexdigest()}"

    async def deliver(self, event: dict[str, Any], *, signature: str | None = None,
                      raw: bytes | None = None) -> int:
        """POST an event to the bot as the platform does; the HTTP status it answered."""
        body = raw if raw is not None else json.dumps(event, ensure_ascii=False).encode()
        header = signature if signature is not None else self.sign(
            body, str(event.get("timestamp", "")))
        name, user = event.get("event_name", ""), _user(event)
        if user and (str(name).startswith("user_") or name == "follow"):
            self.interactions[user] = self.clock()
            self.unfollowed.discard(user)
        if name == "unfollow" and user:
            self.unfollowed.add(user)
        async with aiohttp.ClientSession() as http, http.post(
            self.webhook_url, data=body,
            headers={"X-ZEvent-Signature": header, "Content-Type": "application/json"},
            timeout=aiohttp.ClientTimeout(total=2),  # the platform gives up after 2 s
        ) as response:
            self.deliveries.append((event, response.status))
            return response.status

    def event(self, name: str, user: str, **fields: Any) -> dict[str, Any]:
        """An event from a user, shaped as documented, stamped with the platform's time."""
        stamp = str(int(self.clock().timestamp() * 1000))
        if name in ("follow", "unfollow"):
            return {"oa_id": OA_ID, "follower": {"id": user}, "user_id_by_app": f"a{user}",
                    "source": "oa_profile", "app_id": APP_ID, "event_name": name,
                    "timestamp": stamp, **fields}
        return {"app_id": APP_ID, "user_id_by_app": f"a{user}", "event_name": name,
                "sender": {"id": user}, "recipient": {"id": OA_ID}, "timestamp": stamp, **fields}

    def message_id(self) -> str:
        """A fresh `msg_id`."""
        return f"{next(self._ids):032x}"

    # --- the API ------------------------------------------------------------------------------

    def _answer(self, call: OaRequest, error: int = 0, data: Any = None,
                **extra: Any) -> web.Response:
        call.status = 200
        call.answer = ({"error": 0, "message": "Success", "data": data} if error == 0 else
                       {"error": error, "message": ERRORS.get(error, "Error"), **extra})
        return web.json_response(call.answer)

    async def _record(self, request: web.Request, body: dict[str, Any]) -> OaRequest:
        call = OaRequest(request.path, dict(request.headers), body)
        self.requests.append(call)
        return call

    def _scripted(self, call: OaRequest) -> int:
        for path, queued in self._failures.items():
            if queued and call.path.endswith(path):
                return queued.pop(0)
        return 0

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: v[0] for k, v in parse_qs((await request.read()).decode()).items()}
        call = await self._record(request, form)
        if self.oauth_down:
            self.oauth_down -= 1
            call.status = 503
            return web.Response(status=503, text="Service Unavailable")
        if self.refresh_delay:
            await asyncio.sleep(self.refresh_delay)
        now = self.clock()
        refused = self._scripted(call) or self._grant_refused(request, form, now)
        if refused:
            call.status = 200
            call.answer = {"error": refused, "error_name": "Invalid grant",
                           "error_description": "The code or refresh token is invalid"}
            return web.json_response(call.answer)
        access, refresh = f"at-{secrets.token_urlsafe(16)}", f"rt-{secrets.token_urlsafe(16)}"
        self.access[access] = now + timedelta(seconds=self.lifetime)
        self.refresh[refresh] = now + timedelta(days=90)
        call.status = 200
        call.answer = {"access_token": access, "refresh_token": refresh,
                       "expires_in": str(self.lifetime)}
        return web.json_response(call.answer)

    def _grant_refused(self, request: web.Request, form: dict[str, str], now: datetime) -> int:
        if request.headers.get("secret_key") != APP_SECRET or form.get("app_id") != APP_ID:
            return -14001
        if form.get("grant_type") == "refresh_token":
            expiry = self.refresh.pop(form.get("refresh_token", ""), None)  # single-use
            return 0 if expiry is not None and expiry > now else -14014
        if form.get("grant_type") == "authorization_code":
            challenge, expiry = self.codes.pop(form.get("code", ""), (None, now))
            if expiry <= now:
                return -14014
            verifier = form.get("code_verifier")
            if challenge is not None and (not verifier or challenge_of(verifier) != challenge):
                return -14016
            return 0
        return -14003

    def _token_error(self, request: web.Request) -> int:
        token = request.headers.get("access_token", "")
        if token not in self.access:
            return -216
        if self.access[token] <= self.clock():
            return -220
        proof = request.headers.get("appsecret_proof")
        expected = hmac.new(APP_SECRET.encode(), token.encode(), hashlib.sha256).hexdigest()
        return -242 if proof is not None and proof != expected else 0

    async def _cs(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = await self._record(request, body)
        error = self._scripted(call) or self._token_error(request)
        if error:
            return self._answer(call, error)
        user = str((body.get("recipient") or {}).get("user_id") or "")
        message = body.get("message") or {}
        if not user or not isinstance(message, dict) or not _valid(message):
            return self._answer(call, -201)
        if user in self.unfollowed:
            return self._answer(call, -213)
        seen = self.interactions.get(user)
        if seen is None or self.clock() - seen > WINDOW:
            return self._answer(call, -230)
        return self._answer(call, data={"message_id": self.message_id(), "user_id": user})

    async def _template(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = await self._record(request, body)
        error = self._scripted(call) or self._token_error(request)
        if error:
            return self._answer(call, error)
        params = self.templates.get(str(body.get("template_id")))
        data = body.get("template_data")
        user = body.get("user_id") or (body.get("recipient") or {}).get("user_id")
        if params is None or not user or not isinstance(data, dict) or set(params) - set(data):
            return self._answer(call, -201)
        return self._answer(call, data={"msg_id": self.message_id(),
                                        "sent_time": str(int(self.clock().timestamp() * 1000))})

    async def _detail(self, request: web.Request) -> web.Response:
        data = json.loads(request.query.get("data", "{}"))
        call = await self._record(request, data)
        if self.detail_delays:
            await asyncio.sleep(self.detail_delays.pop(0))
        error = self._scripted(call) or self._token_error(request)
        if error:
            return self._answer(call, error)
        user = str(data.get("user_id", ""))
        if user not in self.profiles:
            return self._answer(call, -201)
        return self._answer(call, data={"user_id": user, "display_name": self.profiles[user],
                                        "user_is_follower": user not in self.unfollowed})

    async def _file(self, request: web.Request) -> web.StreamResponse:
        call = await self._record(request, {})
        file = self.files.get(request.match_info["key"])
        if file is None or file.status != 200:
            call.status = 404 if file is None else file.status
            return web.Response(status=call.status, text="Error")
        call.status = 200
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        if file.declare:
            response.content_length = file.size
        await response.prepare(request)
        for _ in range(file.repeat):
            await response.write(file.data)
            file.served += len(file.data)
        await response.write_eof()
        return response


def _valid(message: dict[str, Any]) -> bool:
    """A documented cs message: text (≤ 2,000), buttons (≤ 5, titles ≤ 100, text required) or
    an image template."""
    text = message.get("text")
    if text is not None and (not isinstance(text, str) or not text or len(text) > MAX_TEXT):
        return False
    attachment = message.get("attachment")
    if attachment is None:
        return text is not None
    payload = attachment.get("payload") or {}
    if "buttons" in payload:
        buttons = payload["buttons"]
        return text is not None and 0 < len(buttons) <= MAX_BUTTONS and all(
            b.get("type") in BUTTON_TYPES and 0 < len(b.get("title", "")) <= MAX_TITLE
            and isinstance(b.get("payload"), str) and len(b["payload"]) <= 1000
            for b in buttons)
    elements = payload.get("elements") or []
    return payload.get("template_type") == "media" and len(elements) == 1 and bool(
        elements[0].get("url") or elements[0].get("attachment_id"))


def _user(event: dict[str, Any]) -> str | None:
    holder = event.get("follower") or event.get("sender") or {}
    return str(holder["id"]) if isinstance(holder, dict) and holder.get("id") else None
