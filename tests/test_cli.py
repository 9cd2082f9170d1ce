"""The command line itself: --version, global options on either side of the command, one-sentence
help, and the usage mistakes that exit 2."""

from __future__ import annotations

import re

import pytest

from conftest import FIXED_NOW_ARG, run_process
from linkletter import __version__
from linkletter.cli import COMMANDS, DESCRIPTION


def test_version_names_the_program_and_its_version():
    result = run_process("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"linkletter {__version__}"


EARLY = "2020-01-01T00:00:00Z"  # before every fixture bookmark: only the two defined feeds


@pytest.mark.parametrize(
    "order",
    [
        ("-C", "{p}", "--now", EARLY, "build"),
        ("build", "-C", "{p}", "--now", EARLY),
        ("-C", "{p}", "build", "--now", EARLY),
        ("--now", EARLY, "build", "-C", "{p}"),
    ],
)
def test_global_options_work_before_or_after_the_command(project, run, order):
    code, out, err = run(*[str(project) if a == "{p}" else a for a in order])
    assert code == 0, err
    assert "12 bookmarks, 2 feeds" in out  # -C found the project and --now was applied


def test_an_option_after_the_command_wins_over_one_before(project, tmp_path, run):
    code, out, err = run("-C", tmp_path / "missing", "build", "-C", project, "--now", FIXED_NOW_ARG)
    assert code == 0, err
    assert "12 bookmarks, 9 feeds" in out


def test_debug_and_config_work_after_the_command(project, run):
    (project / "other.yaml").write_text(
        (project / "linkletter.yaml").read_text().replace("feed_limit: 20", "feed_limit: x")
    )
    code, _, err = run("check", "-C", project, "--config", project / "other.yaml", "--debug")
    assert code == 1
    assert "other.yaml:" in err and "build.feed_limit" in err and "Traceback" in err


@pytest.mark.process
def test_help_says_in_one_sentence_what_linkletter_and_each_command_do():
    top = run_process("--help")
    assert top.returncode == 0 and DESCRIPTION in re.sub(r"\s+", " ", top.stdout)
    assert "The command line: the only place" not in top.stdout
    for name, sentence in COMMANDS:
        assert sentence in re.sub(r"\s+", " ", top.stdout), name
        page = run_process(name, "--help")
        assert page.returncode == 0
        assert sentence[0].upper() + sentence[1:] + "." in re.sub(r"\s+", " ", page.stdout), name


def test_a_missing_project_folder_is_named(tmp_path, run):
    code, _, err = run("build", "-C", tmp_path / "nope")
    assert code == 1
    assert f"{tmp_path / 'nope'}: no such folder (-C names the project folder)" in err


@pytest.mark.parametrize("command", ["digest", "send"])
@pytest.mark.parametrize("value", ["2024-13-01", "last monday", "13.05.2024"])
def test_a_malformed_date_is_a_usage_error(project, command, value):
    result = run_process(command, "-C", project, "--date", value)
    assert result.returncode == 2
    assert f"argument --date: {value!r} is not a date; write e.g. 2024-05-13" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_refuses_now_instead_of_ignoring_it(project):
    result = run_process("run", "-C", project, "--now", FIXED_NOW_ARG, timeout=30)
    assert result.returncode == 2
    assert "run always uses the real clock; --now does not apply to it" in result.stderr
    before = run_process("--now", FIXED_NOW_ARG, "run", "-C", project, timeout=30)
    assert before.returncode == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["build", "--now", "garbage"], "argument --now: cannot read 'garbage' as a date"),
        (["serve", "--port", "99999"], "argument --port: '99999' is not a port"),
    ],
)
def test_malformed_option_values_are_command_line_mistakes(run, project, args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run(args[0], "-C", project, *args[1:])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
