"""The VOD part: one client for Huawei Cloud VOD, its errors and its models."""

from bot.vod.auth import AkSkAuth, IamTokenAuth, StaticTokenAuth, auth_from_settings
from bot.vod.client import RetryPolicy, VodClient
from bot.vod.errors import (
    AssetNotFound,
    AuthenticationFailed,
    InvalidArgument,
    InvalidAssetId,
    InvalidRequest,
    InvalidSnapshotUrl,
    PermissionDenied,
    SnapshotNotListed,
    SnapshotUrlError,
    Throttled,
    VodConnectionError,
    VodError,
    VodOutcomeUnknown,
    VodStatusError,
    VodUnavailable,
)
from bot.vod.models import Asset, AssetSummary, Snapshot
from bot.vod.snapshot_url import SnapshotRef, is_asset_id, parse_snapshot_url

__all__ = [
    "AkSkAuth",
    "Asset",
    "AssetNotFound",
    "AssetSummary",
    "AuthenticationFailed",
    "IamTokenAuth",
    "InvalidArgument",
    "InvalidAssetId",
    "InvalidRequest",
    "InvalidSnapshotUrl",
    "PermissionDenied",
    "RetryPolicy",
    "Snapshot",
    "SnapshotNotListed",
    "SnapshotRef",
    "SnapshotUrlError",
    "StaticTokenAuth",
    "Throttled",
    "VodClient",
    "VodConnectionError",
    "VodError",
    "VodOutcomeUnknown",
    "VodStatusError",
    "VodUnavailable",
    "auth_from_settings",
    "is_asset_id",
    "parse_snapshot_url",
]
