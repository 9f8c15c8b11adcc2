"""A fake Slack: the Web API under `/api/<method>`, `response_url` hooks under `/hooks/`,
and Socket Mode: `apps.connections.open` hands out a `ws://` URL of `/socket` on the same
server, where tests send envelopes (`send_envelope`) and read the bot's acks.

It records every call, hook post and ack, so tests assert on what Slack would have
received. Like Slack, it fetches nothing but refuses a message whose image blocks point at
an image it cannot download (`unreachable_images`, or every image with `reject_images`).

Tokens as Slack treats them: a bot token (`xoxb-…`) is answered with the scopes it was
granted in the `x-oauth-scopes` header (`bot_scopes`), a method whose scope is missing
answers `missing_scope`, and `token_error` (e.g. "invalid_auth") refuses every bot-token
call. `auth.test` names the workspace and the bot user; `apps.connections.open` takes an
app-level token (`xapp-…`) only, and `app_token_error` refuses it.

Files as Slack's external upload takes them (what slack_sdk's `files_upload_v2` calls):
`files.getUploadURLExternal` hands out an upload URL on this server, the bytes are posted
there, `files.completeUploadExternal` makes the file; `files.delete` deletes it. All three
methods need `files:write` (take it out of `bot_scopes` for `missing_scope`). `uploads`
keeps every file with its bytes, so tests can decode the picture, and keeps them across
`reset` as a workspace does: a served bot that outlives a test may show a sheet it uploaded
in an earlier one (`completed_uploads` lists this test's). A message whose image
names a `slack_file` that is not a completed, undeleted upload is refused as Slack refuses
it (`invalid_blocks`), and so is every `slack_file` with `reject_slack_files`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import WSMsgType, web

from bot.standin.server import ThreadedServer
from tests.slack_requests import slack_json

TEAM_NAME = "Video Team"
#: The scopes a bot installed from manifest.yaml has.
MANIFEST_SCOPES = ("commands", "files:write", "usergroups:read")
BOT_NAME = "setcover"
#: The scope a method needs, for the methods whose scope the fake checks.
_SCOPE_OF = {"usergroups.users.list": "usergroups:read", "usergroups.list": "usergroups:read",
             "files.getUploadURLExternal": "files:write",
             "files.completeUploadExternal": "files:write", "files.delete": "files:write"}


@dataclass
class Recorded:
    """One request Slack received: a Web API call or a `response_url` post."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    answer: dict[str, Any] = field(default_factory=dict)

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.body.get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else blocks

    @property
    def text(self) -> str:
        return str(self.body.get("text") or "")

    def all_text(self) -> str:
        """Everything a person would read in the message, joined, for `in` assertions."""
        return self.text + "\n" + json.dumps(self.blocks, ensure_ascii=False)


@dataclass
class SlackFile:
    """One file uploaded the external way: its bytes, and what became of it."""

    id: str
    filename: str
    length: int
    alt_txt: str | None
    data: bytes = b""
    title: str | None = None
    #: The `channel_id` / `channels` given at completion: none for a file private to the app.
    shared_to: str | None = None
    completed: bool = False
    deleted: bool = False

    @property
    def usable(self) -> bool:
        return self.completed and not self.deleted


@dataclass
class HookFault:
    status: int
    times: int
    body: str = ""
    retry_after: int | None = None


class FakeSlack:
    """State and behaviour of the fake; tests change the public attributes to pick a world."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[Recorded] = []
        self.hook_posts: list[Recorded] = []
        self.usergroups: dict[str, list[str]] = {}
        self.usergroups_error: str | None = None
        #: Seconds `usergroups.users.list` takes to answer (a slow Slack).
        self.usergroups_delay_s = 0.0
        self.reject_images = False
        self.unreachable_images: set[str] = set()
        self.hook_faults: list[HookFault] = []
        self.bot_scopes = list(MANIFEST_SCOPES)
        self.token_error: str | None = None
        self.app_token_error: str | None = None
        self.uploads: dict[str, SlackFile] = {}
        self._earlier_uploads: set[str] = set()
        self.reject_slack_files = False
        self.sockets: list[web.WebSocketResponse] = []
        self.socket_acks: dict[str, dict[str, Any]] = {}
        self._hook_ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._file_ids = itertools.count(1)
        self.server = ThreadedServer(self._app())

    # ---- what tests use -------------------------------------------------------------
    @property
    def api_url(self) -> str:
        """The value for SLACK_API_URL (ends with a slash, as the SDK needs)."""
        return f"{self.server.url}/api/"

    def new_response_url(self) -> str:
        """A URL shaped like Slack's (`…/commands/<team>/<id>/<secret>`): a capability."""
        return (f"{self.server.url}/hooks/commands/T0TEAM/{next(self._hook_ids)}/"
                f"{secrets.token_hex(12)}")

    def socket_connected(self) -> bool:
        with self.lock:
            return any(not ws.closed for ws in self.sockets)

    def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Send a Socket Mode envelope (`slash_commands`, `interactive`) to the bot's open
        WebSocket, as Slack does; returns its `envelope_id`."""
        envelope_id = secrets.token_hex(8)
        message = slack_json({"envelope_id": envelope_id, "type": kind, "payload": payload,
                              "accepts_response_payload": True, "retry_attempt": 0,
                              "retry_reason": ""})
        with self.lock:
            ws = next(ws for ws in reversed(self.sockets) if not ws.closed)
        self.server.run(ws.send_str(message))
        return envelope_id

    def socket_ack(self, envelope_id: str) -> dict[str, Any] | None:
        with self.lock:
            return self.socket_acks.get(envelope_id)

    def api_calls(self, method: str) -> list[Recorded]:
        with self.lock:
            return [call for call in self.calls if call.path == method]

    def posts_to(self, response_url: str) -> list[Recorded]:
        path = response_url.rsplit("/hooks/", 1)[-1]
        with self.lock:
            return [post for post in self.hook_posts if post.path == path]

    def completed_uploads(self) -> list[SlackFile]:
        """The files made since `reset` (uploaded and completed), oldest first, deleted or
        not."""
        with self.lock:
            return [f for f in self.uploads.values()
                    if f.completed and f.id not in self._earlier_uploads]

    def fail_hooks(self, status: int, *, times: int = 1, body: str = "",
                   retry_after: int | None = None) -> None:
        """The next `times` response_url posts get this answer instead (429, 5xx, 404
        `expired_url`…); they are recorded all the same, with that answer."""
        with self.lock:
            self.hook_faults.append(HookFault(status, times, body, retry_after))

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.hook_posts.clear()
            self.hook_faults.clear()
            self.sockets.clear()
            self.socket_acks.clear()
        self.usergroups = {}
        self.usergroups_error = None
        self.usergroups_delay_s = 0.0
        self.reject_images = False
        self.unreachable_images = set()
        self.bot_scopes = list(MANIFEST_SCOPES)
        self.token_error = None
        self.app_token_error = None
        with self.lock:
            self._earlier_uploads = set(self.uploads)
        self.reject_slack_files = False

    # ---- the server -----------------------------------------------------------------
    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/hooks/{hook_id:.+}", self._hook)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        return app

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await _read_body(request)
        record = Recorded(method, body, dict(request.headers))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        token = token or str(body.get("token", ""))
        headers = {"x-oauth-scopes": ",".join(self.bot_scopes)} if token.startswith(
            "xoxb-") else {}
        missing = _SCOPE_OF.get(method)
        if method == "apps.connections.open":
            record.answer = self._connections_open(token)
        elif not token:
            record.answer = {"ok": False, "error": "not_authed"}
        elif token.startswith("xoxb-") and self.token_error:
            record.answer = {"ok": False, "error": self.token_error}
        elif token.startswith("xoxb-") and missing and missing not in self.bot_scopes:
            record.answer = {"ok": False, "error": "missing_scope", "needed": missing,
                             "provided": ",".join(self.bot_scopes)}
        elif method == "usergroups.users.list":
            await asyncio.sleep(self.usergroups_delay_s)
            record.answer = self._usergroup_members(str(body.get("usergroup", "")))
        elif method in {"chat.postMessage", "chat.postEphemeral", "chat.update"}:
            record.answer = self._message_answer(record)
        elif method == "files.getUploadURLExternal":
            record.answer = self._upload_url(record.body)
        elif method == "files.completeUploadExternal":
            record.answer = self._complete_upload(record.body)
        elif method == "files.delete":
            record.answer = self._delete_file(str(record.body.get("file", "")))
        elif method == "auth.test":
            record.answer = {"ok": True, "url": "https://video-team.slack.com/",
                             "team": TEAM_NAME, "team_id": "T1", "user": BOT_NAME,
                             "user_id": "UBOT", "bot_id": "B1"}
        else:
            record.answer = {"ok": True}
        with self.lock:
            self.calls.append(record)
        return web.json_response(record.answer, headers=headers)

    async def _hook(self, request: web.Request) -> web.Response:
        record = Recorded(request.match_info["hook_id"], await _read_body(request),
                          dict(request.headers))
        with self.lock:
            fault = next((f for f in self.hook_faults if f.times > 0), None)
            if fault is not None:
                fault.times -= 1
                record.answer = {"ok": False, "error": fault.body, "status": fault.status}
                self.hook_posts.append(record)
        if fault is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            return web.Response(status=fault.status, text=fault.body, headers=headers)
        refusal = self._image_refusal(record)
        record.answer = refusal or {"ok": True}
        with self.lock:
            self.hook_posts.append(record)
        if refusal:
            return web.json_response(refusal, status=400)
        return web.Response(text="ok")

    def _upload_url(self, body: dict[str, Any]) -> dict[str, Any]:
        filename, length = str(body.get("filename") or ""), str(body.get("length") or "")
        if not filename or not length.isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F0SHEET{next(self._file_ids):05d}"
        with self.lock:
            self.uploads[file_id] = SlackFile(file_id, filename, int(length),
                                              body.get("alt_txt") or None)
        return {"ok": True, "upload_url": f"{self.server.url}/upload/{file_id}",
                "file_id": file_id}

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL: takes the bytes of a file `files.getUploadURLExternal` announced."""
        data = await request.read()
        with self.lock:
            upload = self.uploads.get(request.match_info["file_id"])
            if upload is None or upload.completed or len(data) != upload.length:
                return web.Response(status=400, text="bad upload")
            upload.data = data
        return web.Response(text=f"OK - {len(data)}")

    def _complete_upload(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            files = json.loads(str(body.get("files") or "[]"))
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        shared_to = body.get("channel_id") or body.get("channels") or None
        done = []
        with self.lock:
            for item in files:
                upload = self.uploads.get(str(item.get("id")))
                if upload is None or not upload.data or upload.completed:
                    return {"ok": False, "error": "file_not_found"}
                upload.completed, upload.title, upload.shared_to = True, item.get("title"), \
                    shared_to
                done.append({"id": upload.id, "name": upload.filename, "title": upload.title,
                             "size": upload.length})
        return {"ok": True, "files": done}

    def _delete_file(self, file_id: str) -> dict[str, Any]:
        with self.lock:
            upload = self.uploads.get(file_id)
            if upload is None or not upload.completed:
                return {"ok": False, "error": "file_not_found"}
            if upload.deleted:
                return {"ok": False, "error": "file_deleted"}
            upload.deleted = True
        return {"ok": True}

    def _connections_open(self, token: str) -> dict[str, Any]:
        if not token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        if self.app_token_error:
            return {"ok": False, "error": self.app_token_error}
        ws_url = self.server.url.replace("http://", "ws://", 1)
        return {"ok": True, "url": f"{ws_url}/socket?ticket={secrets.token_hex(12)}"}

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """One Socket Mode connection: `hello`, then records every ack the bot sends."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "connection_info": {"app_id": "A0SETCOVER"}})
        with self.lock:
            self.sockets.append(ws)
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                data = json.loads(message.data)
                with self.lock:
                    self.socket_acks[str(data.get("envelope_id"))] = data
        return ws

    def _usergroup_members(self, usergroup: str) -> dict[str, Any]:
        if self.usergroups_error:
            return {"ok": False, "error": self.usergroups_error}
        if usergroup not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.usergroups[usergroup])}

    def _message_answer(self, record: Recorded) -> dict[str, Any]:
        refusal = self._image_refusal(record)
        if refusal:
            return refusal
        ts = f"1700000000.{next(self._ts):06d}"
        return {"ok": True, "channel": record.body.get("channel"), "ts": ts}

    def _image_refusal(self, record: Recorded) -> dict[str, Any] | None:
        """Slack's answer when it cannot show an image of the message (an image block or a
        section's accessory), else None."""
        for index, block in enumerate(record.blocks):
            for pointer, image in ((f"/blocks/{index}", block),
                                   (f"/blocks/{index}/accessory", block.get("accessory"))):
                problem = self._image_problem(image) if isinstance(image, dict) else None
                if problem is not None:
                    what, field = problem
                    where = f"[json-pointer:{pointer}/{field}]"
                    return {"ok": False, "error": "invalid_blocks",
                            "errors": [f"{what} {where}"],
                            "response_metadata": {"messages": [f"[ERROR] {what} {where}"]}}
        return None

    def _image_problem(self, image: dict[str, Any]) -> tuple[str, str] | None:
        if image.get("type") != "image":
            return None
        url = image.get("image_url")
        if url and (self.reject_images or url in self.unreachable_images):
            return "downloading image failed", "image_url"
        slack_file = image.get("slack_file")
        if slack_file is not None:
            with self.lock:
                upload = self.uploads.get(str(slack_file.get("id")))
            if self.reject_slack_files or upload is None or not upload.usable:
                return "invalid slack file", "slack_file"
        return None


async def _read_body(request: web.Request) -> dict[str, Any]:
    """Slack's Web API takes query strings, form bodies or JSON; hooks take JSON."""
    body: dict[str, Any] = dict(request.query)
    raw = await request.read()
    if not raw:
        return body
    if request.content_type == "application/json":
        body.update(json.loads(raw))
    else:
        body.update(parse_qsl(raw.decode(), keep_blank_values=True))
    return body


@pytest.fixture(scope="session")
def _slack_server() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    fake.server.start()
    yield fake
    fake.server.stop()


@pytest.fixture
def fake_slack(_slack_server: FakeSlack) -> Iterator[FakeSlack]:
    """The fake Slack, emptied for each test."""
    _slack_server.reset()
    yield _slack_server
    _slack_server.reset()
