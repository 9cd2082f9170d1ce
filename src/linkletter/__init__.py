"""linkletter: bookmarks to RSS and Atom feeds and a weekly email digest."""

__version__ = "0.1.0"
