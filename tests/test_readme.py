"""The README cannot rot: its commands run, and every command, option and setting is in it."""

from __future__ import annotations

import re
import shutil

import pytest

from conftest import REPO, run_process
from linkletter.cli import make_parser
from linkletter.publish.templates import packaged_templates
from linkletter.settings import schema as config_module

README = (REPO / "README.md").read_text(encoding="utf-8")


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_ci_runs_the_readme_test_command():
    commands = code_blocks("sh")[:2]
    assert "linkletter build" in commands[0]
    test_command = commands[1].strip()
    assert "pytest" in test_command
    assert test_command in (REPO / ".ci/run").read_text()


def test_every_command_and_option_is_documented():
    parser = make_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    for name, sub in subparsers.choices.items():
        assert f"`linkletter {name}`" in README, name
        for action in sub._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert f"`{flag}" in README, f"{name} {flag}"


@pytest.mark.parametrize(
    "section, schema",
    [
        ("site", config_module.SITE),
        ("site.author", config_module.AUTHOR),
        ("build", config_module.BUILD),
        ("digest", config_module.DIGEST),
        ("smtp", config_module.SMTP),
        ("schedule", config_module.SCHEDULE),
    ],
)
def test_every_setting_is_documented(section, schema):
    for key in schema:
        if key != "author" or section != "site":
            assert f"| `{section}.{key}` |" in README, f"{section}.{key}"


def test_every_feed_definition_key_is_documented():
    table = README.split("### Feed definitions")[1].split("## Output")[0]
    for key in config_module.FEED:
        assert f"| `{key}` |" in table, key


def test_every_template_is_documented():
    for template in packaged_templates():
        assert f"`{template.name}`" in README, template.name


@pytest.fixture
def example(tmp_path):
    """A copy of the repository's example project: its settings, content, feeds and templates."""
    target = tmp_path / "example"
    target.mkdir()
    for name in ("linkletter.yaml", "recipients.example.csv"):
        shutil.copy(REPO / name, target / name)
    for name in ("content", "feeds", "templates"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, target / name)
    return target


@pytest.mark.process
def test_the_readme_commands_run_on_the_example_project(example):
    commands = [line.strip() for block in code_blocks("sh")[2:3] for line in block.splitlines()]
    commands = [c for c in commands if c.startswith("linkletter ")]
    assert commands == ["linkletter digest --date 2022-07-11", "linkletter send --dry-run --date 2022-07-11"]
    build = run_process("build", cwd=example)
    assert build.returncode == 0, build.stderr
    assert re.match(r"425 bookmarks, \d+ feeds: \d+ file\(s\) written, 0 unchanged", build.stdout)
    check = run_process("check", cwd=example)
    assert check.returncode == 0 and "0 error(s)" in check.stdout
    for command in commands:
        result = run_process(*command.split()[1:], cwd=example)
        assert result.returncode == 0, (command, result.stderr)
    assert (
        "issue 1 (2022-07-11): 54 links" in run_process("digest", "--date", "2022-07-11", cwd=example).stdout
    )
    outbox = example / ".linkletter/outbox/2022-07-11"
    assert len(list(outbox.glob("*.eml"))) == 2


def test_the_nginx_snippet_matches_the_output_names():
    nginx = code_blocks("nginx")[0]
    for pattern, media_type in [
        (r"\.rss\.xml$", "application/rss+xml"),
        (r"\.atom\.xml$", "application/atom+xml"),
        (r"\.json$", "application/feed+json"),
        (r"\.opml$", "text/x-opml"),
        (r"\.xsl$", "text/xsl"),
    ]:
        line = next(line for line in nginx.splitlines() if pattern in line)
        assert f'"{media_type}; charset=utf-8"' in line and "expires" in line


def test_the_readme_next_step_block_works_when_pasted():
    """The block after the quick start puts linkletter on PATH before calling it bare."""
    lines = [line.strip() for line in code_blocks("sh")[2].splitlines() if line.strip()]
    assert lines[0] == ". .venv/bin/activate"
    assert all(line.startswith("linkletter ") for line in lines[1:])


@pytest.mark.process
def test_the_readme_start_your_own_site_commands_run(tmp_path):
    block = README.split("## Start your own site")[1].split("```sh\n")[1].split("```")[0]
    cwd = tmp_path
    commands = [line.strip() for line in block.splitlines() if line.strip()]
    assert commands == ["linkletter init my-links", "cd my-links", "linkletter check", "linkletter build"]
    for command in commands:
        if command.startswith("cd "):
            cwd = cwd / command.split()[1]
            continue
        result = run_process(*command.split()[1:], cwd=cwd)
        assert result.returncode == 0, (command, result.stderr)
    assert (cwd / "dist/feeds/all.json").exists() and (cwd / "dist/feeds.opml").exists()
    assert (
        "still the placeholder 'https://example.org/links/', set it" in run_process("check", cwd=cwd).stderr
    )


def test_the_github_pages_workflow_builds_on_push_and_weekly():
    import yaml

    workflow = yaml.safe_load((REPO / "docs/github-pages.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert "push" in triggers and triggers["schedule"][0]["cron"].split()[4] == "1"
    steps = [step.get("run", step.get("uses", "")) for step in workflow["jobs"]["build"]["steps"]]
    assert "linkletter build" in steps and any("upload-pages-artifact" in s for s in steps)
    assert workflow["jobs"]["build"]["steps"][-1]["with"]["path"] == "dist"
