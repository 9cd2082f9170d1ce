"""The namespace of every id (feeds, items, issues), recorded in the state folder by the first build,
so that moving the site (a new `site.base_url`, even http to https) never makes every item look
new to every subscriber. `site.id_namespace` still overrides the record."""

from __future__ import annotations

import json
from dataclasses import replace

from ..errors import WARNING, Problem, UserError, ValueProblem, shown_path
from ..model import Config
from ..publish.output import write_atomic
from ..settings.placeholders import BASE_URL as PLACEHOLDER_URL
from ..values.files import decode_text, read_bounded

FILE_NAME = "ids.json"


def apply_recorded_namespace(config: Config) -> tuple[Config, list[Problem]]:
    """The config with the recorded namespace in effect (unless site.id_namespace is set), and a
    warning the first time base_url differs from the one last seen."""
    record = load_record(config)
    if record is None or config.site.id_namespace not in ("", record[0]) or record[0] == PLACEHOLDER_URL:
        return config, []
    namespace, seen = record
    notes = []
    if seen != config.site.base_url:
        notes.append(
            Problem(
                shown_path(config.path, config.root) if config.path else "linkletter.yaml",
                f"changed from {seen} to {config.site.base_url}; ids keep the recorded namespace "
                f"{namespace}, so subscribers see no item as new",
                field="site.base_url",
                hint="set site.id_namespace to choose the namespace yourself; this note is shown once",
                severity=WARNING,
            )
        )
    return replace(config, site=replace(config.site, id_namespace=namespace)), notes


def record_namespace(config: Config) -> list[Problem]:
    """Record the namespace in effect (call it with the config apply_recorded_namespace gave), and
    the base_url seen, so that the warning is shown once."""
    record = load_record(config)
    namespace = config.site.id_namespace or config.site.base_url
    if namespace == PLACEHOLDER_URL:  # `init`'s placeholder: the real address is still to come
        return []
    if record is not None and record == (namespace, config.site.base_url):
        return []
    data = {"id_namespace": namespace, "base_url": config.site.base_url}
    try:
        write_atomic(config.build.state_dir / FILE_NAME, (json.dumps(data, indent=1) + "\n").encode())
    except OSError as exc:
        return [Problem(_shown(config), f"cannot be written: {exc.strerror}", severity=WARNING)]
    return []


def load_record(config: Config) -> tuple[str, str] | None:
    """(namespace, base_url last seen), or None before the first build."""
    try:
        data = json.loads(
            decode_text(read_bounded(config.build.state_dir / FILE_NAME, 64 * 1024, "ids.json"))
        )
        return str(data["id_namespace"]), str(data["base_url"])
    except ValueProblem as exc:
        if exc.message == "not found":
            return None
        raise UserError(exc.at(_shown(config))) from None
    except (ValueError, KeyError, TypeError):
        raise UserError(
            Problem(
                _shown(config), "is not a linkletter id record", hint="restore it, or set site.id_namespace"
            )
        ) from None


def _shown(config: Config) -> str:
    return shown_path(config.build.state_dir / FILE_NAME, config.root)
