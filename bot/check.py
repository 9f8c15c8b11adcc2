"""`setcover-bot check`: try every part the bot needs, with these settings, and say which fails.

Nothing here changes anything. Slack: `auth.test` with the bot token (which workspace, which
bot user, and the scopes Slack says it granted, from the `x-oauth-scopes` header, against
`BOT_SCOPES`), `apps.connections.open` with the app token in Socket Mode,
`usergroups.users.list` for each allowed user group. VOD: one read-only call (the asset
list), and when it fails, which setting or permission to look at. With hotlink protection
on (`VOD_URL_AUTH`), one snapshot URL of the first listed asset that has one, signed and
fetched as the bot would, so a wrong algorithm, key or clock shows here. The audit store:
reachable and migrated. Each finding is one line; any failure makes the exit status 1. A
part not configured at all (no Slack credentials yet, as on the demo path) is `skip`, with
what to add; values that cannot work (a token with a space, `me` for a member id) fail
before anything is sent.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import AuthMode, Settings, UrlAuth
from bot.policy import Policy
from bot.store import AuditStore, StoreUnavailable
from bot.text import shorten
from bot.vod.client import VodClient
from bot.vod.errors import (
    AuthenticationFailed,
    PermissionDenied,
    VodConnectionError,
    VodError,
    VodStatusError,
)
from bot.vod.url_auth import url_signer

#: The bot scopes manifest.yaml asks for (tests/test_manifest.py keeps the two equal).
BOT_SCOPES = ("commands", "files:write", "usergroups:read")
#: Scopes the bot serves without, in a lesser way: their lack is a note, not a failure.
OPTIONAL_SCOPES = {
    "files:write": "pickers show compact rows instead of one contact sheet of all frames",
}

#: What to look at when VOD refuses the credentials, by authentication mode.
_CREDENTIALS = {
    AuthMode.AKSK: "VOD_AK and VOD_SK (an access key of the account that owns the VOD "
                   "library; VOD_SECURITY_TOKEN too for temporary ones)",
    AuthMode.IAM: "IAM_DOMAIN, IAM_USERNAME and IAM_PASSWORD (and IAM_ENDPOINT's region)",
    AuthMode.TOKEN: "VOD_AUTH_TOKEN (IAM tokens expire after 24 hours)",
}
#: Slack errors about a token itself, and what to do about them.
_TOKEN_ERRORS = {
    "invalid_auth": "Slack does not know this token: copy it again",
    "not_authed": "no token reached Slack",
    "token_revoked": "the token was revoked: reinstall the app and copy the new one",
    "account_inactive": "the app was uninstalled or its workspace deleted: reinstall it",
    "not_allowed_token_type": "this is not the kind of token this variable takes",
}


class Verdict(enum.StrEnum):
    OK = "ok"
    NOTE = "note"  # works, in a lesser way; says how to get the rest
    SKIP = "skip"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Finding:
    """One line of the report: which part, whether it works, what was found."""

    part: str
    verdict: Verdict
    text: str

    def __str__(self) -> str:
        return f"{self.verdict.value:<5} {self.part}: {self.text}"


def ok(part: str, text: str) -> Finding:
    return Finding(part, Verdict.OK, text)


def note(part: str, text: str) -> Finding:
    return Finding(part, Verdict.NOTE, text)


def fail(part: str, text: str) -> Finding:
    return Finding(part, Verdict.FAIL, text)


def skip(part: str, text: str) -> Finding:
    return Finding(part, Verdict.SKIP, text)


async def check_vod(settings: Settings) -> Finding:
    """One read-only call (ListAssetList, one item): endpoint, project, credentials."""
    async with VodClient.from_settings(settings) as vod:
        try:
            total = await vod.count_assets()
        except VodError as exc:
            return fail("VOD", vod_advice(exc, settings))
    return ok("VOD", f"{settings.auth_mode.value} credentials accepted by "
                     f"{settings.vod_endpoint}, {total} asset(s) in project "
                     f"{settings.vod_project_id} (changing a cover also needs "
                     "vod:asset:update, which check cannot try without changing one)")


async def check_url_auth(settings: Settings) -> Finding:
    """Sign one snapshot URL (of the first listed asset with one) as `VOD_URL_AUTH` says,
    and fetch it."""
    async with VodClient.from_settings(settings) as vod:
        try:
            url = await _first_snapshot(vod)
        except VodError as exc:
            return fail("snapshots", vod_advice(exc, settings))
    if url is None:
        return ok("snapshots", "no listed asset has a snapshot yet, so signing could not be "
                               "tried")
    signed = url_signer(settings).sign(url)
    async with httpx.AsyncClient(timeout=settings.vod_timeout_s) as http:
        try:
            status = (await http.get(signed)).status_code
        except httpx.HTTPError as exc:
            return fail("snapshots", f"cannot fetch {shorten(url, 160)} ({type(exc).__name__}): "
                                     "check this machine's network")
    how = f"signed with algorithm {settings.vod_url_auth}"
    if status == 200:
        return ok("snapshots", f"the CDN serves {shorten(url, 160)} {how}")
    if status == 403:
        return fail("snapshots", f"the CDN refused {shorten(url, 160)} {how} (403): check "
                                 "VOD_URL_AUTH (the algorithm of the domain's Key anti-leech "
                                 "setting in VOD's console), VOD_URL_AUTH_KEY (its key) and "
                                 "this machine's clock")
    return fail("snapshots", f"the CDN answered {status} for {shorten(url, 160)} {how}")


async def _first_snapshot(vod: VodClient) -> str | None:
    for summary in await vod.list_assets():
        asset = await vod.get_asset(summary.asset_id)
        if asset.snapshots:
            return asset.snapshots[0].url
    return None


def vod_advice(error: VodError, settings: Settings) -> str:
    """What VOD said, and the setting or permission that most likely causes it."""
    said = error.message + "".join(
        f" [{part}]" for part in (error.code, error.request_id and f"request id "
                                  f"{error.request_id}") if part
    )
    if isinstance(error, VodConnectionError):
        return error.message  # already says the cause and what to check
    if isinstance(error, AuthenticationFailed):
        return f"{said}. Check {_CREDENTIALS[settings.auth_mode]}."
    if isinstance(error, PermissionDenied):
        return (f"{said}. Check that VOD_PROJECT_ID is the project of VOD_ENDPOINT's region, "
                "and that the IAM user may list assets (vod:asset:list).")
    if isinstance(error, VodStatusError) and error.status_code == 404:
        return (f"{said}. VOD_ENDPOINT does not serve the VOD API: expected "
                "https://vod.<region>.myhuaweicloud.com, e.g. vod.cn-north-4.")
    return f"{said}. {error.explanation}"


async def check_store(settings: Settings) -> Finding:
    try:
        async with AuditStore.from_url(settings.database_url) as store:
            await store.migrate()
            await store.ping()
    except StoreUnavailable as exc:
        return fail("audit store", str(exc))
    return ok("audit store", "reachable and migrated")


async def check_slack(settings: Settings) -> list[Finding]:
    """The Slack settings, then what Slack says of the tokens, scopes and user groups.

    A token whose setting has a problem is not sent to Slack."""
    if not settings.slack_configured:
        return [skip("Slack", "not configured yet. To serve Slack, add SLACK_BOT_TOKEN, "
                              "SLACK_APP_TOKEN (Socket Mode) and SETCOVER_ALLOWED_USERS (your "
                              "member id): the README's quick start, steps 2 and 4")]
    problems = settings.slack_problems()
    findings = [fail("Slack", f"{name}: {why}") for name, why in problems.items()]
    if settings.slack_bot_token is None or "SLACK_BOT_TOKEN" in problems:
        return findings
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url,
        timeout=10,
    )
    try:
        findings.extend(await _ask_slack(settings, client, problems))
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        findings.append(fail("Slack", f"cannot reach {settings.slack_api_url} "
                                      f"({type(exc).__name__}: {exc}); check SLACK_API_URL "
                                      "and this machine's network"))
    return findings


async def _ask_slack(
    settings: Settings, client: AsyncWebClient, problems: dict[str, str]
) -> list[Finding]:
    try:
        me = await client.auth_test()
    except SlackApiError as exc:
        return [fail("Slack", "SLACK_BOT_TOKEN refused: " + _token_error(exc))]
    findings = [ok("Slack", f"bot token accepted: workspace {me.get('team')} "
                            f"({me.get('team_id')}), bot user @{me.get('user')} "
                            f"({me.get('user_id')})")]
    findings.extend(_scopes(me.headers.get("x-oauth-scopes")))
    if settings.slack_app_token is not None:
        if "SLACK_APP_TOKEN" not in problems:
            findings.append(
                await _app_token(client, settings.slack_app_token.get_secret_value()))
    elif settings.slack_signing_secret is not None:
        findings.append(ok("Slack", "HTTP mode: the signing secret is checked on Slack's first "
                                    "request (a wrong one is answered 401 and logged)"))
    if "SETCOVER_ALLOWED_USERGROUPS" not in problems:
        findings.extend([finding async for finding in _usergroups(settings, client)])
    policy = Policy.from_settings(settings, None)
    who = policy.describe()
    findings.append(ok("who", who) if policy.has_who_rules or policy.has_where_rules
                    else fail("who", who))
    return findings


def _scopes(header: str | None) -> list[Finding]:
    if header is None:
        return [fail("Slack", "Slack did not say which scopes the bot has (no x-oauth-scopes)")]
    granted = {scope.strip() for scope in header.split(",") if scope.strip()}
    missing = [scope for scope in BOT_SCOPES if scope not in granted]
    needed = [scope for scope in missing if scope not in OPTIONAL_SCOPES]
    fix = "add them under OAuth & Permissions → Scopes (as in manifest.yaml), then reinstall " \
          "the app"
    if needed:
        findings = [fail("Slack", f"the bot lacks the scope(s) {', '.join(needed)}: {fix}")]
    elif not missing:
        return [ok("Slack", f"the bot has the scopes it needs ({', '.join(BOT_SCOPES)})")]
    else:
        findings = []
    findings += [note("Slack", f"the bot lacks the scope {scope}, so "
                         f"{OPTIONAL_SCOPES[scope]}: add it under OAuth & Permissions → "
                         "Scopes (as in manifest.yaml), then reinstall the app")
                 for scope in missing if scope in OPTIONAL_SCOPES]
    return findings


async def _app_token(client: AsyncWebClient, app_token: str) -> Finding:
    try:
        await client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        return fail("Slack", "SLACK_APP_TOKEN refused: " + _token_error(exc)
                    + " (an app-level token with connections:write; Socket Mode on)")
    return ok("Slack", "app token accepted: Socket Mode can connect")


async def _usergroups(settings: Settings, client: AsyncWebClient) -> AsyncIterator[Finding]:
    for group in settings.setcover_allowed_usergroups:
        try:
            answer = await client.usergroups_users_list(usergroup=group)
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            yield fail("Slack", f"user group {group} cannot be read ({error}): check "
                                "SETCOVER_ALLOWED_USERGROUPS and the usergroups:read scope")
            continue
        members = answer.get("users") or []
        yield ok("Slack", f"user group {group}: {len(members)} member(s)")


def _token_error(exc: SlackApiError) -> str:
    error = str(exc.response.get("error"))
    return f"{error}: {_TOKEN_ERRORS.get(error, 'see https://api.slack.com/methods')}"


async def run_check(settings: Settings) -> list[Finding]:
    """Every finding, in the order an operator fixes things: settings, VOD, store, Slack."""
    findings = [ok("settings", f"VOD {settings.vod_endpoint}, project "
                               f"{settings.vod_project_id}, auth {settings.auth_mode.value}")]
    vod = await check_vod(settings)
    findings.append(vod)
    if vod.verdict is Verdict.OK and settings.vod_url_auth is not UrlAuth.OFF:
        findings.append(await check_url_auth(settings))
    findings.append(await check_store(settings))
    findings.extend(await check_slack(settings))
    return findings
