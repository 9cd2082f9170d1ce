"""A user's template that fails is a message naming its file and line, never a traceback, and the
feeds are written all the same."""

from __future__ import annotations

import pytest

from conftest import FIXED_NOW_ARG
from linkletter.publish.templates import PACKAGED


def override(project, name: str, text: str) -> None:
    (project / "templates").mkdir(exist_ok=True)
    (project / "templates" / name).write_text(text, encoding="utf-8")


PACKAGED_INDEX = (PACKAGED / "index.html.j2").read_text(encoding="utf-8").splitlines()
LINE = next(n for n, text in enumerate(PACKAGED_INDEX, start=1) if text.startswith("<!DOCTYPE")) + 1


def index_with(line: str) -> str:
    """The packaged index template with `line` added right after its doctype, as line LINE."""
    return "\n".join([*PACKAGED_INDEX[: LINE - 1], line, *PACKAGED_INDEX[LINE - 1 :]]) + "\n"


@pytest.mark.parametrize(
    "line, expected",
    [
        (
            "{{ 1 / 0 }}",
            f"templates/index.html.j2:{LINE}: fails while rendering: ZeroDivisionError: division by zero",
        ),
        (
            "{% macro again() %}{{ again() }}{% endmacro %}{{ again() }}",
            f"templates/index.html.j2:{LINE}: recurses without end",
        ),
        (
            '{% include "nowhere.html" %}',
            f"templates/index.html.j2:{LINE}: includes 'nowhere.html', which is not found",
        ),
        ("{{ site.nowhere }}", f"templates/index.html.j2:{LINE}: 'dict object' has no attribute 'nowhere'"),
    ],
)
def test_a_failing_index_template_is_named_and_the_feeds_are_written(project, run, line, expected):
    override(project, "index.html.j2", index_with(line))
    code, out, err = run("build", "-C", project, "--now", FIXED_NOW_ARG)
    assert code == 1 and "Traceback" not in err
    assert expected in err, err
    assert (project / "dist/feeds/python.atom.xml").is_file()
    assert any((project / ".linkletter/compiled-templates").iterdir())  # kept compiled
    code, out, err = run("build", "-C", project, "--now", FIXED_NOW_ARG)  # run from the compiled code
    assert code == 1 and "Traceback" not in err
    assert expected in err, err


def test_a_stylesheet_that_is_not_utf8_is_named(project, run):
    (project / "templates").mkdir(exist_ok=True)
    (project / "templates/digest.css").write_bytes("body { color: red } /* caf\xe9 */".encode("latin-1"))
    code, _, err = run("digest", "-C", project, "--date", "2024-05-13", "--out", project / "preview")
    assert code == 1 and "Traceback" not in err
    assert "templates/digest.css: is not UTF-8 text (save the template as UTF-8)" in err


def test_an_import_in_the_stylesheet_is_refused_and_nothing_is_fetched(project, run):
    import http.server
    import threading

    requests: list[str] = []

    class Recording(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the base class's name
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"p { color: red }")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recording)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        css = (PACKAGED / "digest.css").read_text(encoding="utf-8")
        override(
            project, "digest.css", f"@import url(http://127.0.0.1:{server.server_address[1]}/x.css);\n{css}"
        )
        code, _, err = run("digest", "-C", project, "--date", "2024-05-13", "--out", project / "preview")
    finally:
        server.shutdown()
        server.server_close()
    assert code == 1 and "Traceback" not in err
    assert "templates/digest.css: @import would fetch a stylesheet over the network" in err
    assert requests == []
