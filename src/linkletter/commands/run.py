"""`run`: the same calls as `build` and `send`, on a schedule (see `newsletter.schedule`).

An issue not started before its deadline is skipped; one already started is finished, however
late, so nobody is left out of it. The ledger makes every check idempotent: nobody is mailed twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from ..errors import NOTE
from ..model import Config
from ..newsletter.issues import digest_zone, past_deadline, slot_for, slug_for
from ..newsletter.ledger import Ledger
from ..newsletter.recipients import load_recipients
from ..newsletter.schedule import CATCH_UP_MINUTES, MAX_IDLE_SECONDS, Loop, Slot
from .build import build_site, ledger_path
from .send import SendOptions, send_current

log = logging.getLogger("linkletter")


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
        self.options = SendOptions(password=password, unsubscribe_secret=unsubscribe_secret)
        spec = config.digest
        self.loop = Loop(
            self.rebuild,
            self.send_if_due,
            config.schedule.rebuild_minutes,
            Slot(spec.weekday, spec.time, digest_zone(config).key),
            sleep=sleep,
            max_idle=max_idle,
            catch_up_minutes=catch_up_minutes,
        )

    def run_forever(self, should_stop: Callable[[], bool]) -> None:
        log.info(
            "linkletter is running; the digest goes out on %ss at %s (%s)",
            self.config.digest.weekday,
            self.config.digest.time,
            digest_zone(self.config).key,
        )
        self.loop.run_forever(should_stop)

    def rebuild(self) -> None:
        result = build_site(self.config, self.clock_now())
        for problem in result.problems:
            if problem.severity != NOTE:
                log.warning("%s", problem)
        log.info("rebuilt %d feeds: %d file(s) written", result.feed_count, len(result.written))

    def send_if_due(self) -> None:
        now = self.clock_now()
        slot = slot_for(self.config, now)
        started, finished = self._progress(slot)
        if finished or (not started and past_deadline(self.config, slot, now)):
            log.debug("nothing to send for %s", slug_for(self.config, slot))
            return
        outcome = send_current(
            self.config, now, self.options, self.clock_now, self.loop.should_stop, self.sleep, self.monotonic
        )
        for problem in outcome.problems:
            if problem.severity != NOTE:
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
            answered = set(ledger.deliveries(slug)) | set(ledger.suppressed())  # suppressed: never mailed
        recipients, _ = load_recipients(self.config.digest.recipients, "recipients")
        return True, all(r.key in answered for r in recipients)
