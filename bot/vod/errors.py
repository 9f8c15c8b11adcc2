"""The errors the VOD client raises, each with a sentence a Slack user understands.

    VodError                      explanation: str (for people), code, request_id
    ├── InvalidArgument           refused before any call was made
    │   ├── SnapshotUrlError      the argument is not an allowed snapshot URL
    │   │   └── SnapshotNotListed     … or not one of the snapshots VOD lists for its asset
    │   └── InvalidAssetId        the argument is not an asset id
    ├── VodConnectionError        no answer after the retries: timeout, unknown host,
    │                             refused connection, TLS failure (`from_exception`)
    ├── VodOutcomeUnknown         a change was sent (or may have been), VOD never confirmed
    └── VodStatusError            VOD or its gateway answered 4xx/5xx: status, code, error_msg
        ├── AuthenticationFailed  401, APIGW.0301/0307, IAM refused the password
        ├── PermissionDenied      403
        ├── AssetNotFound         404, VOD.10062
        ├── InvalidRequest        VOD.10053, APIGW.0201: a parameter VOD refused
        │   └── InvalidSnapshotUrl    400 about the thumbnail URL
        ├── Throttled             429
        └── VodUnavailable        5xx

`VodStatusError.from_response` picks the class from the status and `error_code`; a body
that is not JSON still gives an error with the status and a clear explanation.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Iterator
from typing import ClassVar

import httpx


class VodError(Exception):
    """Anything that kept a VOD call from succeeding."""

    explanation: ClassVar[str] = "The video service could not complete the request."

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        request_id: str | None = None,
        explanation: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.request_id = request_id
        if explanation is not None:
            self.explanation = explanation  # type: ignore[misc]


class InvalidArgument(VodError):
    """The argument cannot be sent to VOD as it is; nothing was sent."""

    explanation = "That is not something the video service can look up."


class SnapshotUrlError(InvalidArgument):
    """The text given is not a snapshot URL the bot accepts; nothing was sent to VOD.

    `message` says what was wrong, `explanation` what to do.
    """

    #: Where to pick one is said by each surface in its own words (Slack, the CLI).
    explanation = "A cover must be one of the snapshots VOD lists for the video."


class SnapshotNotListed(SnapshotUrlError):
    """The URL parses, but VOD does not list it among the asset's snapshots: not sent."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="SNAPSHOT_NOT_LISTED")


class InvalidAssetId(InvalidArgument):
    """The text given is not a VOD asset id; nothing was sent to VOD."""

    explanation = "That is not a VOD asset id (letters and digits, like 6e76f92034ceae2f…)."


class VodConnectionError(VodError):
    """No answer from VOD or IAM; the message names the cause and what to check."""

    explanation = "The video service did not answer in time. Try again in a minute."

    @classmethod
    def from_exception(cls, doing: str, url: str, exc: BaseException) -> VodConnectionError:
        """The error for `exc` (httpx's, aiohttp's or the socket's), raised doing `doing`.

        httpx's aiohttp transport reports every failure to connect as a timeout, so the
        cause is read from the exceptions chained under it.
        """
        target = _request_url(exc) or httpx.URL(url)
        where = f"{target.host}:{target.port or (443 if target.scheme == 'https' else 80)}"
        for cause in _chain(exc):
            if isinstance(cause, socket.gaierror):
                return cls(f"{doing} failed: cannot resolve host {target.host}. Check the "
                           "host name in VOD_ENDPOINT (or IAM_ENDPOINT) and this machine's "
                           "DNS.", explanation=_UNREACHABLE)
            if isinstance(cause, ConnectionRefusedError):
                return cls(f"{doing} failed: connection refused by {where}. Check the host "
                           "and port in VOD_ENDPOINT (or IAM_ENDPOINT), and that no firewall "
                           "or proxy is in the way.", explanation=_UNREACHABLE)
            if isinstance(cause, ssl.SSLError):
                # The innermost one is the ssl module's own, not a wrapper of it.
                tls = [c for c in _chain(cause) if isinstance(c, ssl.SSLError)][-1]
                reason = (getattr(tls, "verify_message", None) or getattr(tls, "reason", None)
                          or str(tls))
                return cls(f"{doing} failed: TLS failure with {where} ({reason}). Check that "
                           "the endpoint is the service's https address, and this machine's "
                           "CA certificates or TLS-inspecting proxy.", explanation=_UNREACHABLE)
        os_errors = [c for c in _chain(exc) if isinstance(c, OSError)]
        if all(isinstance(c, TimeoutError) for c in os_errors) and isinstance(
            exc, httpx.TimeoutException | TimeoutError
        ):
            return cls(f"{doing} failed: no answer in time from {where}")
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return cls(f"{doing} failed: {detail}")


_UNREACHABLE = ("The bot cannot reach the video service. An admin should check its VOD "
                "settings (`setcover-bot check`).")


def _request_url(exc: BaseException) -> httpx.URL | None:
    """The URL of the request that failed (IAM's or VOD's), when httpx says."""
    try:
        return exc.request.url if isinstance(exc, httpx.RequestError) else None
    except RuntimeError:  # an httpx error raised without its request
        return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, then what caused it, including the OSError aiohttp keeps as `os_error`."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [getattr(current, "os_error", None), current.__cause__, current.__context__]


class VodOutcomeUnknown(VodError):
    """A change may have reached VOD, which never confirmed it: it may or may not be live.

    Raised for a PUT whose last attempt failed after an attempt that may have been
    received (a timeout or lost connection after sending, a gateway timeout). Not a
    failure: the cover may have changed, and sending the same change again is safe.
    """

    explanation = (
        "The video service did not confirm the change, so it may already be live. Check "
        "the video's cover; trying again is safe (setting the same cover twice changes "
        "nothing)."
    )


class VodStatusError(VodError):
    """VOD answered with an error status; `retry_after_s` is its `Retry-After`, if any."""

    retry_after_s: float | None = None

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, code=code, request_id=request_id)
        self.status_code = status_code

    @classmethod
    def from_response(cls, response: httpx.Response) -> VodStatusError:
        code, message = _error_fields(response)
        error_class = _class_for(response.status_code, code)
        return error_class(
            message,
            status_code=response.status_code,
            code=code,
            request_id=response.headers.get("X-Request-Id"),
        )


class AuthenticationFailed(VodStatusError):
    explanation = (
        "The bot could not sign in to the video service. An admin should check its VOD "
        "credentials."
    )


class PermissionDenied(VodStatusError):
    explanation = (
        "The bot's cloud account is not allowed to change this video. An admin should grant "
        "it vod:asset:update."
    )


class AssetNotFound(VodStatusError):
    explanation = "That video does not exist in the VOD library (check the asset id)."


class InvalidRequest(VodStatusError):
    explanation = "The video service refused the request as invalid."


class InvalidSnapshotUrl(InvalidRequest):
    explanation = "The video service refused that snapshot URL. Pick a snapshot from the list."


class Throttled(VodStatusError):
    explanation = "The video service is busy right now. Try again in a minute."


class VodUnavailable(VodStatusError):
    explanation = "The video service is unavailable right now. Try again in a few minutes."


# Codes Huawei Cloud documents for VOD and its API gateway, by what they mean for a user.
# VOD: VOD.10062 "Media asset or resource does not exist" (400/403), VOD.10053 "The request
# parameter is illegal" (400). Gateway (API Request Signing Guide, "Error Codes"):
# APIGW.0301 incorrect IAM authentication information (401: bad AK/SK signature, unknown
# AK, undecryptable or expired token), APIGW.0307 token must be updated (401), APIGW.0302
# and APIGW.0306 access denied (403), APIGW.0308 throttling threshold reached (429),
# APIGW.0201 request error (400/413). APIGW.0101 "API does not exist" (404) means a wrong
# VOD_ENDPOINT, not a missing asset: it stays a plain VodStatusError.
_CODE_CLASSES: dict[str, type[VodStatusError]] = {
    "VOD.10062": AssetNotFound,
    "VOD.10053": InvalidRequest,
    "APIGW.0301": AuthenticationFailed,
    "APIGW.0303": AuthenticationFailed,
    "APIGW.0305": AuthenticationFailed,
    "APIGW.0307": AuthenticationFailed,
    "APIGW.0302": PermissionDenied,
    "APIGW.0306": PermissionDenied,
    "APIGW.0308": Throttled,
    "APIGW.0201": InvalidRequest,
    "APIGW.0101": VodStatusError,
    # The same gateway codes with the APIG prefix of dedicated gateways.
    "APIG.0301": AuthenticationFailed,
    "APIG.0308": Throttled,
}

_STATUS_CLASSES: dict[int, type[VodStatusError]] = {
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: AssetNotFound,
    429: Throttled,
}


def _class_for(status_code: int, code: str | None) -> type[VodStatusError]:
    if code in _CODE_CLASSES:
        return _CODE_CLASSES[code]
    if status_code in _STATUS_CLASSES:
        return _STATUS_CLASSES[status_code]
    if status_code >= 500:
        return VodUnavailable
    return VodStatusError


def _error_fields(response: httpx.Response) -> tuple[str | None, str]:
    """`error_code` and `error_msg` from VOD's or the gateway's body, whatever its shape."""
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]  # IAM's shape: {"error": {"code": 401, "message": …}}
    if isinstance(body, dict):
        code = body.get("error_code") or body.get("code")
        message = body.get("error_msg") or body.get("message") or body.get("msg")
        if code is not None or message is not None:
            return (str(code) if code is not None else None, str(message or "no message"))
    snippet = response.text[:200].strip() if response.content else ""
    reason = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    return None, f"{reason}: {snippet}" if snippet else reason


def request_label(request_id: str | None) -> str:
    """How a log line names VOD's request id: `request id X`, or that VOD gave none."""
    return f"request id {request_id}" if request_id else "no request id from VOD"


def error_label(error: VodError) -> str:
    """How a log line names a VOD error: `message [code, request id X]`, without `None`s."""
    ids = [part for part in (error.code, error.request_id and f"request id {error.request_id}")
           if part]
    return f"{error.message} [{', '.join(ids) or 'no error code or request id from VOD'}]"
