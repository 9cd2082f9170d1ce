"""The `schedule` loop behind `linkletter run`, given its jobs as plain calls.

- `rebuild` runs every `rebuild_minutes`;
- `send_if_due` runs weekly at `weekday` and `time` in the digest's time zone (`.at(time, zone)`,
  so 09:00 stays 09:00 across daylight-saving changes), and at start-up and every hour as a
  catch-up check (the machine was down, or a run was left unfinished);
- an exception in a job is logged and the loop goes on (schedule itself would end the loop);
- a stop request is honoured between jobs; the loop never sleeps longer than `max_idle`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import schedule

from ..errors import UserError

log = logging.getLogger("linkletter")
CATCH_UP_MINUTES = 60
MAX_IDLE_SECONDS = 1.0  # how long a stop request may wait


@dataclass(frozen=True)
class Slot:
    weekday: str
    time: str  # HH:MM
    zone: str  # an IANA zone name


class Loop:
    def __init__(
        self,
        rebuild: Callable[[], object],
        send_if_due: Callable[[], object],
        rebuild_minutes: int,
        slot: Slot,
        sleep: Callable[[float], None] = time.sleep,
        max_idle: float = MAX_IDLE_SECONDS,
        catch_up_minutes: int = CATCH_UP_MINUTES,
    ):
        self.rebuild = rebuild
        self.send_if_due = send_if_due
        self.sleep = sleep
        self.max_idle = max_idle
        self.should_stop: Callable[[], bool] = lambda: False
        self.scheduler = schedule.Scheduler()
        self.scheduler.every(rebuild_minutes).minutes.do(self.safely, self.rebuild)
        weekly = getattr(self.scheduler.every(), slot.weekday)
        weekly.at(slot.time, slot.zone).do(self.safely, self.send_if_due)
        self.scheduler.every(catch_up_minutes).minutes.do(self.safely, self.send_if_due)

    def run_forever(self, should_stop: Callable[[], bool]) -> None:
        self.should_stop = should_stop
        self.safely(self.rebuild)
        self.safely(self.send_if_due)
        while not should_stop():
            self.scheduler.run_pending()
            idle = self.scheduler.idle_seconds
            self.sleep(min(max(idle if idle is not None else self.max_idle, 0.0), self.max_idle))
        log.info("stopped")

    def safely(self, job: Callable[[], object]) -> None:
        if self.should_stop():
            return
        try:
            job()
        except UserError as exc:
            for problem in exc.problems:
                log.error("%s", problem)
        except Exception:
            log.exception("the job %s failed; the schedule goes on", getattr(job, "__name__", job))
