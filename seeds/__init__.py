"""The seed articles, shipped in the package as `assistant.seeds` (see assistant/bundled.py).
Ingest skips this file: it reads article formats only."""
