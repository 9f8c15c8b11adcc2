"""The errors the VOD client raises, each with a sentence a Slack user understands.

    VodError                      explanation: str (for people), code, request_id
    ├── SnapshotUrlError          the argument is not an allowed snapshot URL; no call made
    ├── VodConnectionError        timeouts and connection failures, after the retries
    └── VodStatusError            VOD or its gateway answered 4xx/5xx: status, code, error_msg
        ├── AuthenticationFailed  401, APIGW.0301/0101-like codes, IAM token refused
        ├── PermissionDenied      403
        ├── AssetNotFound         404, VOD.10062
        ├── InvalidSnapshotUrl    400 about the thumbnail URL
        ├── Throttled             429
        └── VodUnavailable        5xx

`VodStatusError.from_response` picks the class from the status and `error_code`; a body
that is not JSON still gives an error with the status and a clear explanation.
"""

from __future__ import annotations

import json
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


class SnapshotUrlError(VodError):
    """The text given is not a snapshot URL the bot accepts; nothing was sent to VOD."""

    explanation = "That is not a snapshot URL of this VOD library."


class VodConnectionError(VodError):
    explanation = "The video service did not answer in time. Try again in a minute."


class VodStatusError(VodError):
    """VOD answered with an error status."""

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


class InvalidSnapshotUrl(VodStatusError):
    explanation = "The video service refused that snapshot URL. Pick a snapshot from the list."


class Throttled(VodStatusError):
    explanation = "The video service is busy right now. Try again in a minute."


class VodUnavailable(VodStatusError):
    explanation = "The video service is unavailable right now. Try again in a few minutes."


# Codes Huawei Cloud documents for VOD and its API gateway, by what they mean for a user.
_CODE_CLASSES: dict[str, type[VodStatusError]] = {
    "VOD.10062": AssetNotFound,
    "VOD.10053": AssetNotFound,
    "VOD.10001": InvalidSnapshotUrl,
    "VOD.10065": InvalidSnapshotUrl,
    "APIGW.0101": AuthenticationFailed,
    "APIGW.0301": AuthenticationFailed,
    "APIGW.0303": AuthenticationFailed,
    "APIGW.0305": AuthenticationFailed,
    "APIGW.0302": PermissionDenied,
    "APIGW.0306": PermissionDenied,
    "APIGW.0308": Throttled,
    "APIGW.0201": InvalidSnapshotUrl,
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
    if isinstance(body, dict):
        code = body.get("error_code") or body.get("code")
        message = body.get("error_msg") or body.get("message") or body.get("msg")
        if code is not None or message is not None:
            return (str(code) if code is not None else None, str(message or "no message"))
    snippet = response.text[:200].strip() if response.content else ""
    reason = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    return None, f"{reason}: {snippet}" if snippet else reason
