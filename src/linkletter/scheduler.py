"""`linkletter run`: the same calls as `build` and `send`, on a schedule (the `schedule` package).

- feeds are rebuilt every `schedule.rebuild_minutes`;
- the digest is sent weekly at `digest.weekday` and `digest.time` in the digest's time zone
  (`.at(time, zone)`, so 09:00 stays 09:00 across daylight-saving changes);
- at start-up and every hour a catch-up check sends the due issue if it was missed (the machine
  was down) or left unfinished, unless `digest.deadline_hours` have passed; the ledger makes
  every check idempotent, so nobody is mailed twice;
- an exception in a job is logged and the loop goes on (schedule itself would end the loop);
- a stop request (SIGTERM, Ctrl-C) is honoured between jobs and between two messages.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

import schedule

from .build import build_site, ledger_path
from .errors import UserError
from .ledger import Ledger
from .model import Config
from .newsletter import digest_zone, past_deadline, slot_for, slug_for
from .recipients import load_recipients
from .sending import SendOptions, send_current

log = logging.getLogger("linkletter")
CATCH_UP_MINUTES = 60
MAX_IDLE_SECONDS = 1.0  # how long a stop request may wait


class Runner:
    def __init__(
        self,
        config: Config,
        clock_now: Callable[[], datetime],
        password: str | None = None,
        unsubscribe_secret: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        max_idle: float = MAX_IDLE_SECONDS,
        catch_up_minutes: int = CATCH_UP_MINUTES,
    ):
        self.config = config
        self.clock_now = clock_now
        self.sleep = sleep
        self.monotonic = monotonic
        self.max_idle = max_idle
        self.catch_up_minutes = catch_up_minutes
        self.options = SendOptions(password=password, unsubscribe_secret=unsubscribe_secret)
        self.scheduler = schedule.Scheduler()
        self.should_stop: Callable[[], bool] = lambda: False

    def setup(self) -> None:
        spec = self.config.digest
        zone = digest_zone(self.config).key
        self.scheduler.every(self.config.schedule.rebuild_minutes).minutes.do(self.safely, self.rebuild)
        weekly = getattr(self.scheduler.every(), spec.weekday)
        weekly.at(spec.time, zone).do(self.safely, self.send_if_due)
        self.scheduler.every(self.catch_up_minutes).minutes.do(self.safely, self.send_if_due)

    def run_forever(self, should_stop: Callable[[], bool]) -> None:
        self.should_stop = should_stop
        self.setup()
        log.info(
            "linkletter is running; the digest goes out on %ss at %s (%s)",
            self.config.digest.weekday,
            self.config.digest.time,
            digest_zone(self.config).key,
        )
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

    def rebuild(self) -> None:
        result = build_site(self.config, self.clock_now())
        for problem in result.problems:
            if problem.severity != "note":
                log.warning("%s", problem)
        log.info("rebuilt %d feeds: %d file(s) written", len(result.feeds), len(result.written))

    def send_if_due(self) -> None:
        """Send (or finish) the due issue. An issue not started before its deadline is skipped;
        one already started is finished, however late, so nobody is left out of it."""
        now = self.clock_now()
        slot = slot_for(self.config, now)
        started, finished = self._progress(slot)
        if finished or (not started and past_deadline(self.config, slot, now)):
            log.debug("nothing to send for %s", slug_for(self.config, slot))
            return
        outcome = send_current(
            self.config, now, self.options, self.clock_now, self.should_stop, self.sleep, self.monotonic
        )
        for problem in outcome.problems:
            if problem.severity != "note":
                log.warning("%s", problem)
        log.info("%s", outcome.message)

    def _progress(self, slot: datetime) -> tuple[bool, bool]:
        """(the slot's issue is published, every current recipient has an answer in the ledger)."""
        path = ledger_path(self.config)
        if not path.exists() or self.config.digest.recipients is None:
            return False, False
        with Ledger(path) as ledger:
            slug = slug_for(self.config, slot)
            if ledger.find_issue(slug) is None:
                return False, False
            answered = ledger.deliveries(slug)
        recipients, _ = load_recipients(self.config.digest.recipients, "recipients")
        return True, all(r.key in answered for r in recipients)
