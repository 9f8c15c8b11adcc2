"""A fake Huawei Cloud VOD, with its API gateway and IAM, on a real socket.

The tests' VOD (tests/fakes/vod_server.py wraps it in fixtures) and the local stand-in
`setcover-bot demo-vod` starts, so the CLI and Socket Mode can be tried without a cloud
account.

It serves the VOD calls the bot makes (asset details, asset list, set cover, snapshot
task: asynchronous, THUMBNAILING for `capture_seconds`, then new `dots` snapshots, or
THUMBNAIL_FAILED with `capture_failure`; CDN refresh under `/v1/`: a task PROCESSING
for `refresh_seconds`, then SUCCEED, or FAILED with `refresh_fails`) and
IAM's `POST /v3/auth/tokens`, and checks credentials as the cloud does: AK/SK signatures
are recomputed from what arrived (following the SDK-HMAC-SHA256 algorithm of Huawei's
API signing guide, independently of `bot.vod.auth`), tokens must be ones IAM issued and
not expired. Every request is recorded. Tests choose failures with `fail()`, `drop()` and
`latency`, seed assets with `add_asset()` and read `cover_changes`.

The same server answers IAM, so `IAM_ENDPOINT` is `fake_vod.url` too.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from aiohttp import web

from bot.config import Settings, load_settings
from bot.standin import frames
from bot.standin.frames import REEL, Look, frame_jpeg
from bot.standin.server import Standin

PROJECT_ID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
CLOCK_SKEW_S = 15 * 60
_IAM_PATH = "/v3/auth/tokens"
_API = re.compile(
    r"^/v1(?:\.0)?/(?P<project>[^/]+)/asset/(?P<call>details|list|cover|process|refresh)$")
_SNAPSHOT_ASSET = re.compile(r"/asset/(?P<asset_id>[A-Za-z0-9_-]+)/snapshot/")
#: A snapshot picture this server serves itself, as VOD's CDN would (no credentials).
_FRAME = re.compile(r"^/asset/(?P<asset_id>[A-Za-z0-9_-]+)/snapshot/[A-Za-z0-9_-]+/"
                    r"[A-Za-z0-9_-]+\.jpg$")


@dataclass
class Recorded:
    """One request as the fake received it, and the status it answered."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    status: int | None = None  # 0: the connection was dropped
    request_id: str | None = None  # the X-Request-Id answered

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass
class FakeAsset:
    asset_id: str
    title: str
    cover_url: str | None = None
    # kind -> [(offset seconds, url)], kept in the (unsorted) order VOD would list them
    snapshots: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    thumbnail_status: str = "THUMBNAIL_SUCCEED"
    duration: int = 131
    exec_desc: str = "thumbnail success"
    #: The snapshot task under way: when it ends (time.monotonic()) and what it makes.
    task: SnapshotTask | None = None
    #: What the pictures this server serves look like, by snapshot URL (`add_reel`).
    looks: dict[str, tuple[Look, int]] = field(default_factory=dict)

    def all_snapshot_urls(self) -> set[str]:
        return {url for items in self.snapshots.values() for _, url in items}


@dataclass
class SnapshotTask:
    """A `POST /asset/process` thumbnail task: THUMBNAILING until `done_at`."""

    dots: list[int]
    cover_position: int
    done_at: float
    fail_with: str | None = None


@dataclass
class Capture:
    """One snapshot task VOD was asked for, as it arrived."""

    asset_id: str
    body: dict[str, Any]


@dataclass
class RefreshTask:
    """A `POST /v1/{project}/asset/refresh` task: PROCESSING until `done_at`."""

    task_id: str
    asset_ids: list[str]
    done_at: float
    fails: bool = False


@dataclass
class CoverChange:
    asset_id: str
    thumbnail_url: str
    request_id: str


@dataclass
class Fault:
    """What to do instead of answering, for requests whose path ends with `path`."""

    path: str
    times: int
    status: int = 503
    retry_after: str | None = None
    code: str | None = None
    message: str | None = None
    body: str | None = None  # raw body (e.g. HTML) instead of the JSON error
    drop: bool = False

    def matches(self, path: str) -> bool:
        return self.times > 0 and (self.path == "*" or path.endswith(self.path))


class FakeVod(Standin):
    """State and behaviour of the fake; every public attribute may be changed by tests."""

    def __init__(self, *, port: int = 0) -> None:
        super().__init__(self._app(), port=port)
        self.project_id = PROJECT_ID
        self.ak = "FAKEAK" + "0" * 14
        self.sk = "fake-secret-key-" + "s" * 24
        self.temp_ak = "FAKETEMPAK" + "1" * 10
        self.temp_sk = "fake-temp-secret-" + "t" * 23
        self.security_token = "fake-security-token-" + "x" * 40
        self.static_token = "fake-static-token-" + "y" * 40
        self.iam_domain = "video-team"
        self.iam_username = "setcover-bot"
        self.iam_password = "fake-iam-password"
        self._request_ids = itertools.count(1)
        self.reset()

    # ---- what tests use -------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            # Requests still sleeping through their latency belong to an earlier test:
            # wake them (on the fake's loop) to end without effect.
            earlier = getattr(self, "_reset", None)
            if earlier is not None:
                self.server.call_soon(earlier.set)
            self._reset = asyncio.Event()
            self.requests: list[Recorded] = []
            self.cover_changes: list[CoverChange] = []
            self.captures: list[Capture] = []
            #: How long a snapshot task stays THUMBNAILING; its exec_desc when it should fail.
            self.capture_seconds = 0.3
            self.capture_failure: str | None = None
            #: VOD documents that a snapshot task makes its `cover_position`-th snapshot
            #: (default 1) the cover; False models a task that leaves the cover alone.
            self.capture_sets_cover = True
            self.assets: dict[str, FakeAsset] = {}
            #: CDN refresh tasks asked for, by id; how long each stays PROCESSING
            #: (math.inf: for ever) and whether it then FAILS instead of SUCCEED.
            #: A refusal (quota) is `fail("/asset/refresh", status=400, code=…)`.
            self.refreshes: dict[str, RefreshTask] = {}
            self.refresh_seconds = 0.3
            self.refresh_fails = False
            self.faults: list[Fault] = []
            self.latency: dict[str, float] = {}
            #: The size of the snapshot pictures served (`add_reel`).
            self.frame_size = (frames.WIDTH, frames.HEIGHT)
            self.tokens: dict[str, float] = {}  # token -> expiry (time.time())
            self.token_lifetime_s = 24 * 3600.0
        self._seed()

    def add_asset(
        self,
        asset_id: str,
        title: str,
        *,
        cover_url: str | None = None,
        snapshots: dict[str, list[tuple[int, str]]] | None = None,
        thumbnail_status: str = "THUMBNAIL_SUCCEED",
    ) -> FakeAsset:
        """Seed an asset; without `snapshots` it gets 3 sample, 2 dots and 1 quantity, whose
        pictures this server serves (`frame_url`)."""
        if snapshots is None:
            snapshots = {
                "sample": [(20, self.frame_url(asset_id, "sample", 2)),
                           (0, self.frame_url(asset_id, "sample", 0)),
                           (10, self.frame_url(asset_id, "sample", 1))],
                "dots": [(15, self.frame_url(asset_id, "dots", 0)),
                         (5, self.frame_url(asset_id, "dots", 1))],
                "quantity": [(25, self.frame_url(asset_id, "quantity", 0))],
            }
        asset = FakeAsset(asset_id, title, cover_url, snapshots, thumbnail_status)
        with self.lock:
            self.assets[asset_id] = asset
        return asset

    def frame_url(self, asset_id: str, kind: str, n: int) -> str:
        """A snapshot URL on this server, which serves its picture (see `add_reel`)."""
        return f"{self.url}/asset/{asset_id}/snapshot/{kind}/{n}.jpg"

    def add_reel(self, asset_id: str, title: str, *, first_scene: int = 0,
                 spacing_s: int = 11) -> FakeAsset:
        """Seed an asset whose 12 `sample` snapshots are pictures this server serves: the
        demo reel of `bot.standin.frames` (scenes, and one dark, one flat, one blurry frame),
        listed out of order as VOD does; its cover is the second frame."""
        looks = {self.frame_url(asset_id, "sample", n): (look, scene + first_scene)
                 for n, (look, scene) in enumerate(REEL)}
        width, height = self.frame_size
        for look, scene in looks.values():  # painted now (once a process), not on request
            frame_jpeg(look, scene, width=width, height=height)
        listed = [(n * spacing_s, url) for n, url in enumerate(looks)]
        asset = self.add_asset(asset_id, title, cover_url=listed[1][1],
                               snapshots={"sample": listed[1::2] + listed[0::2]})
        asset.duration = len(REEL) * spacing_s
        asset.looks = looks
        return asset

    @property
    def frame_requests(self) -> list[Recorded]:
        """Requests for snapshot pictures (not VOD's API)."""
        with self.lock:
            return [r for r in self.requests if _FRAME.match(r.path)]

    def fail(
        self,
        path: str = "*",
        *,
        status: int = 503,
        times: int = 1,
        retry_after: float | str | None = None,
        code: str | None = None,
        message: str | None = None,
        body: str | None = None,
    ) -> None:
        """The next `times` requests to `path` (a suffix, or "*") get this error."""
        with self.lock:
            self.faults.append(Fault(
                path, times, status, None if retry_after is None else str(retry_after),
                code, message, body,
            ))

    def drop(self, path: str = "*", *, times: int = 1) -> None:
        """The next `times` requests to `path` get their connection closed, no answer."""
        with self.lock:
            self.faults.append(Fault(path, times, drop=True))

    def revoke_tokens(self) -> None:
        """Every IAM token issued so far is refused from now on, as after a password change."""
        with self.lock:
            self.tokens.clear()

    def reset_requests(self) -> None:
        """Forget the requests so far, so a test can assert on what comes next."""
        with self.lock:
            self.requests.clear()

    def requests_to(self, suffix: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.path.endswith(suffix)]

    @property
    def api_requests(self) -> list[Recorded]:
        """Requests to VOD itself (not IAM)."""
        with self.lock:
            return [r for r in self.requests
                    if r.path != _IAM_PATH and not _FRAME.match(r.path)]

    @property
    def token_requests(self) -> int:
        return len(self.requests_to(_IAM_PATH))

    def settings_env(self, mode: str = "aksk") -> dict[str, str]:
        """Environment variables for a bot that talks to this fake: `aksk`, `aksk-temp`
        (temporary credentials with a security token), `iam` or `token`."""
        env = {
            "VOD_ENDPOINT": self.url,
            "VOD_PROJECT_ID": self.project_id,
            # The cloud's default and this fake, which serves the snapshots it lists.
            "VOD_SNAPSHOT_HOSTS": "*.cdn-vod.huaweicloud.com,127.0.0.1",
            "VOD_TIMEOUT_S": "2",
            "VOD_MAX_RETRIES": "3",
        }
        if mode == "aksk":
            env |= {"VOD_AK": self.ak, "VOD_SK": self.sk}
        elif mode == "aksk-temp":
            env |= {"VOD_AK": self.temp_ak, "VOD_SK": self.temp_sk,
                    "VOD_SECURITY_TOKEN": self.security_token}
        elif mode == "iam":
            env |= {"IAM_ENDPOINT": self.url, "IAM_DOMAIN": self.iam_domain,
                    "IAM_USERNAME": self.iam_username, "IAM_PASSWORD": self.iam_password}
        elif mode == "token":
            env |= {"VOD_AUTH_TOKEN": self.static_token}
        else:
            raise ValueError(f"unknown auth mode {mode!r}")
        return env

    def settings(self, mode: str = "aksk", **overrides: Any) -> Settings:
        """`Settings` for this fake (other values at their defaults, nothing from `.env`)."""
        values = {k.lower(): v for k, v in self.settings_env(mode).items()}
        return load_settings(_env_file=None, **(values | overrides))

    # ---- the server -----------------------------------------------------------------
    def _seed(self) -> None:
        """The two videos every test starts with; their snapshots are served here, so a
        picker of them downloads its contact sheet from this server, never from a CDN."""
        keynote = "6e76f92034ceae2fcdcef9413221511f"
        self.add_asset(keynote, "Launch keynote",
                       cover_url=f"{self.url}/asset/{keynote}/cover/Cover0.jpg")
        self.add_asset("41cff636d5b12a51e7eb2838bbf45201", "Avatar behind the scenes")

    def _app(self) -> web.Application:
        app = web.Application(middlewares=[self._gateway])
        app.router.add_post(_IAM_PATH, self._issue_token)
        app.router.add_get("/v1.0/{project}/asset/details", self._details)
        app.router.add_get("/v1.0/{project}/asset/list", self._list)
        app.router.add_put("/v1.0/{project}/asset/cover", self._set_cover)
        app.router.add_post("/v1.0/{project}/asset/process", self._process)
        app.router.add_post("/v1/{project}/asset/refresh", self._refresh)
        app.router.add_get("/v1/{project}/asset/refresh", self._refresh_result)
        app.router.add_get("/asset/{asset_id}/snapshot/{kind}/{name}", self._frame)
        return app

    @web.middleware
    async def _gateway(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Record, delay, fail as told, authenticate: what the API gateway in front does."""
        raw_path, _, raw_query = request.raw_path.partition("?")
        record = Recorded(
            request.method, unquote(raw_path),
            parse_qsl(raw_query, keep_blank_values=True),
            dict(request.headers), await request.read(),
        )
        with self.lock:
            self.requests.append(record)
            reset = self._reset
            delay = self.latency.get(record.path) or next(
                (s for p, s in self.latency.items() if p == "*" or record.path.endswith(p)), 0.0
            )
        if delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(reset.wait(), delay)
        if reset.is_set():  # the test that sent it is over: no effect
            assert request.transport is not None
            request.transport.close()
            return web.Response(status=500)
        with self.lock:
            fault = next((f for f in self.faults if f.matches(record.path)), None)
            if fault is not None:
                fault.times -= 1
        if fault is not None and fault.drop:
            if request.transport is not None:  # None: the client is gone already
                request.transport.close()
            record.status = 0
            return web.Response(status=500)
        if record.path == _IAM_PATH:
            response = await handler(request)
        else:
            # The CDN serves pictures to anyone (hotlink protection aside).
            refusal = (None if _FRAME.match(record.path)
                       else self._authenticate(request, record))
            if refusal is not None:
                response = refusal
            elif fault is not None:
                response = _fault_response(fault)
            else:
                response = await handler(request)
        response.headers.setdefault("X-Request-Id", f"fake-{next(self._request_ids):06d}")
        record.status, record.request_id = response.status, response.headers["X-Request-Id"]
        return response

    # ---- authentication -------------------------------------------------------------
    def _authenticate(self, request: web.Request, record: Recorded) -> web.Response | None:
        """None when the token or signature is good, else the gateway's 401."""
        token = request.headers.get("X-Auth-Token")
        if token is not None:
            with self.lock:
                expiry = self.tokens.get(token)
            if token == self.static_token or (expiry is not None and time.time() < expiry):
                return None
            problem: str | None = "token expired" if expiry is not None else "decrypt token fail"
        elif "Authorization" not in request.headers:
            problem = "no Authorization or X-Auth-Token header"
        else:
            problem = self._signature_problem(request, record, request.headers["Authorization"])
        if problem is None:
            return None
        return _gateway_error(
            401, "APIGW.0301", f"Incorrect IAM authentication information: {problem}"
        )

    def _signature_problem(
        self, request: web.Request, record: Recorded, authorization: str
    ) -> str | None:
        """Why the AK/SK signature is not valid, or None: recomputed from what arrived."""
        match = re.fullmatch(
            r"SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})",
            authorization,
        )
        if match is None:
            return "unsupported Authorization header"
        access, signed_names, signature = match.groups()
        secret = {self.ak: self.sk, self.temp_ak: self.temp_sk}.get(access)
        if secret is None:
            return f"Get secretKey failed,ak:{access},err:ak not exist"
        token = request.headers.get("X-Security-Token")
        if access == self.temp_ak and token != self.security_token:
            return "verify security token fail"
        names = signed_names.split(";")
        for required in ("host", "x-sdk-date"):
            if required not in names:
                return f"{required} is not signed"
        project = request.headers.get("X-Project-Id")
        if project is None or "x-project-id" not in names:
            return "X-Project-Id is missing or not signed"
        api = _API.match(record.path)
        if api is not None and api["project"] != project:
            return "X-Project-Id does not match the project in the path"
        date = request.headers.get("X-Sdk-Date", "")
        try:
            sent_at = datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            return "X-Sdk-Date is malformed"
        if abs((datetime.now(UTC) - sent_at).total_seconds()) > CLOCK_SKEW_S:
            return "the request is expired: X-Sdk-Date differs from server time by over 15 min"
        if any(name not in {k.lower() for k in request.headers} for name in names):
            return "a signed header is missing"

        # The canonical request, as the signing guide defines it.
        raw_path = request.raw_path.partition("?")[0]
        segments = [quote(unquote(s), safe="~") for s in raw_path.split("/")]
        canonical_uri = "/".join(segments)
        if not canonical_uri.endswith("/"):
            canonical_uri += "/"
        query_pairs = sorted(record.query)
        canonical_query = "&".join(
            quote(k, safe="~") + "=" + quote(v, safe="~") for k, v in query_pairs
        )
        canonical_headers = "".join(
            name + ":" + request.headers[name].strip() + "\n" for name in names
        )
        if not record.body:
            body_hash = hashlib.sha256(b"").hexdigest()
        elif request.headers.get("X-Sdk-Content-Sha256") == "UNSIGNED-PAYLOAD":
            body_hash = "UNSIGNED-PAYLOAD"
        else:
            body_hash = hashlib.sha256(record.body).hexdigest()
        canonical = "\n".join([request.method, canonical_uri, canonical_query,
                               canonical_headers, signed_names, body_hash])
        to_sign = "SDK-HMAC-SHA256\n" + date + "\n" + hashlib.sha256(canonical.encode()).hexdigest()
        expected = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return "verify aksk signature fail"
        return None

    async def _issue_token(self, request: web.Request) -> web.Response:
        try:
            auth = json.loads(await request.read())["auth"]
            user = auth["identity"]["password"]["user"]
            name, password, domain = user["name"], user["password"], user["domain"]["name"]
            project = auth["scope"]["project"]["id"]
        except (ValueError, KeyError, TypeError):
            return web.json_response(
                {"error": {"code": 400, "message": "The request body is malformed.",
                           "title": "Bad Request"}}, status=400)
        if (name, password, domain) != (self.iam_username, self.iam_password, self.iam_domain):
            return web.json_response(
                {"error": {"code": 401, "message": "The username or password is wrong.",
                           "title": "Unauthorized"}}, status=401)
        if project != self.project_id:
            return web.json_response(
                {"error": {"code": 400, "message": "The project does not exist.",
                           "title": "Bad Request"}}, status=400)
        token = "MIIFAKE" + secrets.token_urlsafe(24)
        now = datetime.now(UTC)
        with self.lock:
            expires = now + timedelta(seconds=self.token_lifetime_s)
            self.tokens[token] = expires.timestamp()
        body = {"token": {
            "methods": ["password"],
            "issued_at": now.isoformat().replace("+00:00", "Z"),
            "expires_at": expires.isoformat().replace("+00:00", "Z"),
            "project": {"id": self.project_id, "name": "cn-north-4"},
            "user": {"name": name, "domain": {"name": domain}},
        }}
        return web.json_response(body, status=201, headers={"X-Subject-Token": token})

    # ---- the VOD API ----------------------------------------------------------------
    async def _details(self, request: web.Request) -> web.Response:
        wrong = self._wrong_project(request)
        if wrong:
            return wrong
        asset_id = request.query.get("asset_id", "")
        categories = [c for c in request.query.get("categories", "").split(",") if c]
        with self.lock:
            asset = self.assets.get(asset_id)
            if asset is not None:
                self._finish_task(asset)
        if asset is None:
            return _not_found()
        body: dict[str, Any] = {"asset_id": asset.asset_id}
        if not categories or "base_info" in categories:
            covers = [{"cover_url": asset.cover_url}] if asset.cover_url else []
            body["base_info"] = {
                "title": asset.title, "video_name": f"{asset.title}.mp4", "category_id": -1,
                "category_name": "Other", "video_type": "MP4", "cover_info_array": covers,
                "meta_data": {"duration": asset.duration, "video_size": 4_194_304,
                              "width": 1920, "height": 1080},
            }
        if not categories or "thumbnail_info" in categories:
            thumbs: dict[str, Any] = {
                kind: [{"offset": offset, "url": url} for offset, url in items]
                for kind, items in asset.snapshots.items()
            }
            body["thumbnail_info"] = thumbs | {
                "thumbnail_status": asset.thumbnail_status, "exec_desc": asset.exec_desc,
            }
        return web.json_response(body)

    async def _list(self, request: web.Request) -> web.Response:
        wrong = self._wrong_project(request)
        if wrong:
            return wrong
        words = request.query.get("query_string", "").lower()
        try:
            page, size = int(request.query.get("page", "0")), int(request.query.get("size", "10"))
        except ValueError:
            return _vod_error(400, "VOD.10053",
                              "The request parameter is illegal, illegal field: {page}.")
        with self.lock:
            found = [a for a in self.assets.values() if words in a.title.lower()]
        assets = [
            {"asset_id": a.asset_id, "title": a.title, "duration": 131,
             "covers": [{"cover_url": a.cover_url}] if a.cover_url else [],
             "asset_status": "PUBLISHED", "thumbnail_status": a.thumbnail_status}
            for a in found[page * size:(page + 1) * size]
        ]
        return web.json_response({"total": len(found), "assets": assets})

    async def _set_cover(self, request: web.Request) -> web.Response:
        wrong = self._wrong_project(request)
        if wrong:
            return wrong
        try:
            url = json.loads(await request.read())["thumbnailUrl"]
        except (ValueError, KeyError, TypeError):
            url = None
        if not isinstance(url, str) or not url:
            return _vod_error(400, "VOD.10053",
                              "The request parameter is illegal, illegal field: {thumbnailUrl}.")
        match = _SNAPSHOT_ASSET.search(url)
        with self.lock:
            asset = self.assets.get(match["asset_id"]) if match else None
            if asset is None or url not in asset.all_snapshot_urls():
                return _not_found()
            request_id = f"fake-cover-{next(self._request_ids):06d}"
            asset.cover_url = url
            self.cover_changes.append(CoverChange(asset.asset_id, url, request_id))
        return web.Response(status=204, headers={"X-Request-Id": request_id})

    async def _process(self, request: web.Request) -> web.Response:
        """A snapshot task: THUMBNAILING for `capture_seconds`, then new `dots` snapshots."""
        wrong = self._wrong_project(request)
        if wrong:
            return wrong
        try:
            body = json.loads(await request.read())
            asset_id, thumbnail = body["asset_id"], body["thumbnail"]
            dots = thumbnail["dots"]
            valid = (thumbnail["type"] == "dots" and isinstance(dots, list) and 0 < len(dots)
                     <= 10 and all(isinstance(d, int) and d >= 0 for d in dots))
        except (ValueError, KeyError, TypeError):
            valid = False
        if not valid:
            return _vod_error(400, "VOD.10053",
                              "The request parameter is illegal, illegal field: {thumbnail}.")
        with self.lock:
            asset = self.assets.get(asset_id)
            if asset is None:
                return _not_found()
            if asset.task is not None:
                return _vod_error(400, "VOD.10014", "The media asset is being processed.")
            self.captures.append(Capture(asset_id, body))
            asset.task = SnapshotTask(
                dots=dots, cover_position=int(thumbnail.get("cover_position", 1)),
                done_at=time.monotonic() + self.capture_seconds,
                fail_with=self.capture_failure,
            )
            asset.thumbnail_status, asset.exec_desc = "THUMBNAILING", ""
        return web.json_response({"asset_id": asset_id}, status=202)

    async def _refresh(self, request: web.Request) -> web.Response:
        """A CDN refresh task for 1 to 10 known assets: 202 with its `task_id`."""
        wrong = self._wrong_project(request)
        if wrong:
            return wrong
        try:
            ids = json.loads(await request.read())["asset_id_list"]
            valid = (isinstance(ids, list) and 0 < len(ids) <= 10
                     and all(isinstance(i, str) for i in ids))
        except (ValueError, KeyError, TypeError):
            valid = False
        if not valid:
            return _vod_error(400, "VOD.10053",
                              "The request parameter is illegal, illegal field: {asset_id_list}.")
        with self.lock:
            if any(i not in self.assets for i in ids):
                return _not_found()
            task = RefreshTask(f"refresh-{next(self._request_ids):06d}", ids,
                               time.monotonic() + self.refresh_seconds, self.refresh_fails)
            self.refreshes[task.task_id] = task
        return web.json_response({"task_id": task.task_id}, status=202)

    async def _refresh_result(self, request: web.Request) -> web.Response:
        """`refresh_results`: one entry per asset, `processing`, then `succeed`/`failed`."""
        wrong = self._wrong_project(request)
        if wrong:
            return wrong
        with self.lock:
            task = self.refreshes.get(request.query.get("task_id", ""))
        if task is None:
            return _vod_error(400, "VOD.10053",
                              "The request parameter is illegal, illegal field: {task_id}.")
        status = ("processing" if time.monotonic() < task.done_at
                  else "failed" if task.fails else "succeed")
        return web.json_response({"refresh_results": [
            {"url": f"{self.url}/asset/{i}/", "status": status}
            for i in task.asset_ids]})

    async def _frame(self, request: web.Request) -> web.Response:
        """A snapshot's picture, for a snapshot URL on this server that the asset lists."""
        url = self.url + request.path
        with self.lock:
            asset = self.assets.get(request.match_info["asset_id"])
            listed = asset is not None and url in asset.all_snapshot_urls()
            painted = asset.looks.get(url) if asset is not None else None
        if not listed:
            return web.Response(status=404, text="no such snapshot")
        look, scene = painted or (Look.SCENE, zlib.crc32(url.encode()) % 100)
        width, height = self.frame_size
        return web.Response(body=frame_jpeg(look, scene, width=width, height=height),
                            content_type="image/jpeg")

    def _finish_task(self, asset: FakeAsset) -> None:
        """Complete the asset's snapshot task if its time has come (under the lock)."""
        task = asset.task
        if task is None or time.monotonic() < task.done_at:
            return
        asset.task = None
        if task.fail_with is not None:
            asset.thumbnail_status, asset.exec_desc = "THUMBNAIL_FAILED", task.fail_with
            return
        dots = asset.snapshots.setdefault("dots", [])
        made = []
        for offset in task.dots:
            url = self.frame_url(asset.asset_id, "dots", len(dots))
            dots.append((offset, url))
            made.append(url)
        asset.thumbnail_status, asset.exec_desc = "THUMBNAIL_SUCCEED", "thumbnail success"
        if self.capture_sets_cover and 1 <= task.cover_position <= len(made):
            asset.cover_url = made[task.cover_position - 1]

    def _wrong_project(self, request: web.Request) -> web.Response | None:
        if request.match_info["project"] != self.project_id:
            return _gateway_error(403, "APIGW.0306", "API access denied: wrong project")
        return None


def _gateway_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error_code": code, "error_msg": message,
                              "request_id": secrets.token_hex(16)}, status=status)


def _vod_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error_code": code, "error_msg": message}, status=status)


def _not_found() -> web.Response:
    return _vod_error(400, "VOD.10062", "Media asset or resource does not exist, please check.")


def _fault_response(fault: Fault) -> web.Response:
    headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
    if fault.body is not None:
        return web.Response(status=fault.status, text=fault.body, content_type="text/html",
                            headers=headers)
    code = fault.code or ("APIGW.0308" if fault.status == 429 else "VOD.10000")
    message = fault.message or (
        "The throttling threshold has been reached" if fault.status == 429
        else "Internal error, please try again later."
    )
    return web.json_response({"error_code": code, "error_msg": message},
                             status=fault.status, headers=headers)
