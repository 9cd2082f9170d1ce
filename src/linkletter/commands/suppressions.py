"""The suppression list: addresses a server refused permanently (5.1.x, 5.2.1), which later
issues skip. `linkletter suppressions` lists them; `--lift ADDRESS` mails ADDRESS again."""

from __future__ import annotations

from ..errors import WARNING, Problem, UserError, shown_path
from ..model import Config
from ..newsletter.delivery import SendReport
from ..newsletter.ledger import Ledger
from ..newsletter.recipients import load_recipients
from . import Outcome, plural
from .build import ledger_path

LIFT_HINT = "if the address works again, run linkletter suppressions --lift ADDRESS"


def list_suppressions(config: Config, lift: str | None = None) -> Outcome:
    """Every suppressed address with its reason and date; with `lift`, remove that one first."""
    path = ledger_path(config)
    if not path.exists():
        if lift:
            raise UserError(Problem(lift, "is not suppressed (there is no send ledger yet)"))
        return Outcome("no address is suppressed")
    with Ledger(path) as ledger:
        if lift and not ledger.lift(lift):
            raise UserError(
                Problem(lift, "is not suppressed", hint="linkletter suppressions lists those that are")
            )
        rows = ledger.suppressed()
    lines = [f"{address}  since {at[:10]}: {reason}" for address, (reason, at) in rows.items()]
    head = (f"lifted {lift}; " if lift else "") + f"{plural(len(rows), 'suppressed address')}"
    return Outcome("\n".join([head + (":" if rows else "")] + lines))


def check_suppressions(config: Config) -> list[Problem]:
    """A warning for each address in the recipients file that is suppressed."""
    path, recipients_path = ledger_path(config), config.digest.recipients
    if recipients_path is None or not path.exists():
        return []
    with Ledger(path) as ledger:
        suppressed = ledger.suppressed()
    if not suppressed:
        return []
    shown = shown_path(recipients_path, config.root)
    listed, _ = load_recipients(recipients_path, shown)
    return [
        Problem(
            shown,
            f"{r.address} is suppressed since {suppressed[r.key][1][:10]} ({suppressed[r.key][0]}); it is skipped",
            hint=LIFT_HINT,
            severity=WARNING,
        )
        for r in listed
        if r.key in suppressed
    ]


def suppression_notes(ledger: Ledger, report: SendReport) -> list[Problem]:
    """The send summary's lines about suppressed addresses."""
    skipped = [
        Problem(
            address,
            "skipped: suppressed after an earlier permanent refusal",
            hint=LIFT_HINT,
            severity=WARNING,
        )
        for address in report.suppressed
    ]
    new = [
        Problem(
            address,
            "suppressed from now on: the server says it does not exist",
            hint=LIFT_HINT,
            severity=WARNING,
        )
        for address in report.newly_suppressed
    ]
    return skipped + new
