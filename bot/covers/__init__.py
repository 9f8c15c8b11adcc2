"""Changing a cover, undoing a change, capturing new snapshots: the one service the Slack
app and the CLI call (`CoverService`), and the outcomes it returns.

`outcomes` (what is asked, what comes back), `service` (authorize → record → VOD →
record), `capture` (VOD's snapshot task, followed), `cdn` (the refresh after a change),
`recording` (outcomes written once the store is back). `bot.services` opens it.
"""

# `name as name`: the explicit re-export that mypy and ruff read as public.
from bot.covers.capture import CaptureWait as CaptureWait
from bot.covers.cdn import RefreshWait as RefreshWait
from bot.covers.outcomes import Actor as Actor
from bot.covers.outcomes import BadTimes as BadTimes
from bot.covers.outcomes import Busy as Busy
from bot.covers.outcomes import Captured as Captured
from bot.covers.outcomes import CaptureFailed as CaptureFailed
from bot.covers.outcomes import CaptureLimited as CaptureLimited
from bot.covers.outcomes import CaptureOutcome as CaptureOutcome
from bot.covers.outcomes import CaptureRepeated as CaptureRepeated
from bot.covers.outcomes import CaptureTimedOut as CaptureTimedOut
from bot.covers.outcomes import CdnRefresh as CdnRefresh
from bot.covers.outcomes import Changed as Changed
from bot.covers.outcomes import CoverRequest as CoverRequest
from bot.covers.outcomes import Denied as Denied
from bot.covers.outcomes import Duplicate as Duplicate
from bot.covers.outcomes import Failed as Failed
from bot.covers.outcomes import NotRecorded as NotRecorded
from bot.covers.outcomes import NotUndoable as NotUndoable
from bot.covers.outcomes import Outcome as Outcome
from bot.covers.outcomes import Undone as Undone
from bot.covers.outcomes import UndoOutcome as UndoOutcome
from bot.covers.outcomes import Unknown as Unknown
from bot.covers.recording import to_the_end as to_the_end
from bot.covers.service import CoverService as CoverService
