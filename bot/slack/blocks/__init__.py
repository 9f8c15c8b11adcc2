"""Pure Block Kit builders: data in, a message (`{"text": …, "blocks": […]}`) out.

Nothing here talks to Slack, VOD or the store, so every message the bot can send is built
and checked in unit tests (against Slack's limits and slack_sdk's block models:
`tests/blockkit.py`). Handlers add `response_type` and `replace_original` when they send.

One module per kind of message, over `ids` (what listeners match), `primitives` (limits,
escaping, block shapes) and `values` (what a button carries); callers use the names
re-exported here (`blocks.picker(...)`).
"""

# `name as name`: the explicit re-export that mypy and ruff read as public.
from bot.slack.blocks.capture import CAPTURE_CALLBACK as CAPTURE_CALLBACK
from bot.slack.blocks.capture import CAPTURE_INPUT_ACTION as CAPTURE_INPUT_ACTION
from bot.slack.blocks.capture import CAPTURE_INPUT_BLOCK as CAPTURE_INPUT_BLOCK
from bot.slack.blocks.capture import capture_asked as capture_asked
from bot.slack.blocks.capture import capture_failed as capture_failed
from bot.slack.blocks.capture import capture_modal as capture_modal
from bot.slack.blocks.capture import capture_repeated as capture_repeated
from bot.slack.blocks.capture import capture_timed_out as capture_timed_out
from bot.slack.blocks.capture import captured_intro as captured_intro
from bot.slack.blocks.capture import captures_limited as captures_limited
from bot.slack.blocks.capture import capturing as capturing
from bot.slack.blocks.capture import new_frames as new_frames
from bot.slack.blocks.capture import nothing_captured as nothing_captured
from bot.slack.blocks.history import history as history
from bot.slack.blocks.history import search_results as search_results
from bot.slack.blocks.ids import ActionId as ActionId
from bot.slack.blocks.ids import BlockId as BlockId
from bot.slack.blocks.ids import action_id as action_id
from bot.slack.blocks.ids import block_id as block_id
from bot.slack.blocks.outcomes import VOD_DELAY_NOTE as VOD_DELAY_NOTE
from bot.slack.blocks.outcomes import busy as busy
from bot.slack.blocks.outcomes import cdn_follow_up as cdn_follow_up
from bot.slack.blocks.outcomes import cdn_refused as cdn_refused
from bot.slack.blocks.outcomes import changed_in_channel as changed_in_channel
from bot.slack.blocks.outcomes import changed_since as changed_since
from bot.slack.blocks.outcomes import confirmation as confirmation
from bot.slack.blocks.outcomes import denied as denied
from bot.slack.blocks.outcomes import duplicate as duplicate
from bot.slack.blocks.outcomes import error_message as error_message
from bot.slack.blocks.outcomes import failure as failure
from bot.slack.blocks.outcomes import interrupted as interrupted
from bot.slack.blocks.outcomes import not_recorded as not_recorded
from bot.slack.blocks.outcomes import not_undoable as not_undoable
from bot.slack.blocks.outcomes import restarting as restarting
from bot.slack.blocks.outcomes import setting_cover as setting_cover
from bot.slack.blocks.outcomes import store_unavailable as store_unavailable
from bot.slack.blocks.outcomes import support_line as support_line
from bot.slack.blocks.outcomes import undo_interrupted as undo_interrupted
from bot.slack.blocks.outcomes import unknown as unknown
from bot.slack.blocks.picker import PAGE_SIZE as PAGE_SIZE
from bot.slack.blocks.picker import already_the_cover as already_the_cover
from bot.slack.blocks.picker import page_count as page_count
from bot.slack.blocks.picker import picker as picker
from bot.slack.blocks.primitives import COMMAND as COMMAND
from bot.slack.blocks.primitives import MAX_ALT_TEXT as MAX_ALT_TEXT
from bot.slack.blocks.primitives import MAX_BLOCKS as MAX_BLOCKS
from bot.slack.blocks.primitives import MAX_BUTTON_TEXT as MAX_BUTTON_TEXT
from bot.slack.blocks.primitives import MAX_SECTION_TEXT as MAX_SECTION_TEXT
from bot.slack.blocks.primitives import Message as Message
from bot.slack.blocks.primitives import button as button
from bot.slack.blocks.primitives import context as context
from bot.slack.blocks.primitives import esc as esc
from bot.slack.blocks.primitives import image as image
from bot.slack.blocks.primitives import image_urls as image_urls
from bot.slack.blocks.primitives import inert as inert
from bot.slack.blocks.primitives import link as link
from bot.slack.blocks.primitives import message as message
from bot.slack.blocks.primitives import section as section
from bot.slack.blocks.primitives import slack_date as slack_date
from bot.slack.blocks.usage import EXAMPLES as EXAMPLES
from bot.slack.blocks.usage import USAGE as USAGE
from bot.slack.blocks.usage import usage as usage
from bot.slack.blocks.values import ButtonValue as ButtonValue
from bot.slack.blocks.values import CaptureMetadata as CaptureMetadata
from bot.slack.blocks.values import decode as decode
from bot.slack.blocks.values import decode_metadata as decode_metadata
from bot.slack.blocks.values import encode as encode
from bot.slack.blocks.values import new_nonce as new_nonce
from bot.slack.blocks.values import use_cover_value as use_cover_value
