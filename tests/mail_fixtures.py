"""Projects for the mail tests: an issue of 60 non-ASCII links with images (the SpamAssassin
check), written into a fresh folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

REPO = Path(__file__).parent.parent
WORDS = ["Über", "naïve", "café", "déjà", "Größe", "smørrebrød", "façade", "Ångström", "niño", "Zürich"]
SCRIPTS = ["مرحبا بالعالم", "שלום עולם", "Привет мир", "こんにちは世界", "你好世界", "Γειά σου Κόσμε"]
SETTINGS = """site:
  title: Linkletter Ünïcode Links
  base_url: https://links.example.org/
  author:
    name: Ada Example
  timezone: Europe/Copenhagen
digest:
  title: Ünïcode Weekly
  from: Ada Example <news@example.org>
  recipients: recipients.csv
  max_per_category: 20
  max_items: 60
  unsubscribe_url: https://links.example.org/unsubscribe?token={token}
  unsubscribe_mailto: unsubscribe@example.org
"""


def write_unicode_week(root: Path, templates: Path = REPO / "templates") -> Path:
    """A project with 60 non-ASCII bookmarks (with https images) in the week before Monday
    2024-05-13 09:00 Copenhagen; returns its folder."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "linkletter.yaml").write_text(SETTINGS, encoding="utf-8")
    (root / "recipients.csv").write_text("email,name\nreader@example.org,Zoë Reader\n", encoding="utf-8")
    shutil.copytree(templates, root / "templates", dirs_exist_ok=True)
    content = root / "content"
    content.mkdir(exist_ok=True)
    for n in range(60):
        word, script = WORDS[n % len(WORDS)], SCRIPTS[n % len(SCRIPTS)]
        (content / f"b{n:02d}.md").write_text(
            "---\n"
            f"title: {word} {script} – Ärger mit {n} Grüßen\n"
            f"link: https://exämple-{n % 7}.org/artikel/{word}-{n}\n"
            f"date: 2024-05-{8 + n % 5:02d}T10:{n % 60:02d}:00Z\n"
            f"categories: [{['Reisen', 'Küche', 'Bücher'][n % 3]}]\n"
            f"description: {json.dumps(f'{script} — {word} und {WORDS[(n + 3) % len(WORDS)]}: eine Beschreibung mit Umlauten, Ümlaut, ß.', ensure_ascii=False)}\n"
            f"featuredImage: https://images.example.org/bild-{n}.jpg\n"
            f"linkBrand: {word} Magazin\n"
            "---\n",
            encoding="utf-8",
        )
    return root
