"""The ids the listeners match: enums (`ActionId`, `BlockId`); an id that must be unique
within a message gets a `:<n>` suffix, and listeners match the prefix."""

from __future__ import annotations

import enum


class ActionId(enum.StrEnum):
    """The `action_id` prefixes the listeners match (`use_cover:3`, `picker_page:next`)."""

    USE_COVER = "use_cover"
    CURRENT_COVER = "current_cover"
    PICKER_PAGE = "picker_page"
    PICK_ASSET = "pick_asset"
    TRY_AGAIN = "try_again"
    CAPTURE_AT = "capture_at"
    UNDO = "undo"


class BlockId(enum.StrEnum):
    PICKER_HEADER = "picker_header"
    PICKER_NOTE = "picker_note"
    PICKER_SHEET = "picker_sheet"
    PICKER_FRAMES = "picker_frames"
    PICKER_LEGEND = "picker_legend"
    SNAPSHOT_ROW = "snapshot_row"
    SNAPSHOT_ACTIONS = "snapshot_actions"
    PICKER_PAGES = "picker_pages"
    PICKER_NAV = "picker_nav"
    SEARCH_RESULT = "search_result"
    HISTORY_ENTRY = "history_entry"
    OUTCOME = "outcome"
    OUTCOME_IMAGE = "outcome_image"
    RETRY = "retry"
    CAPTURE = "capture"
    CAPTURE_NOTE = "capture_note"
    UNDO = "undo"
    UNDONE = "undone"
    SUPPORT = "support"


def action_id(base: ActionId, suffix: object | None = None) -> str:
    return str(base) if suffix is None else f"{base}:{suffix}"


def block_id(base: BlockId, suffix: object | None = None) -> str:
    return str(base) if suffix is None else f"{base}:{suffix}"
