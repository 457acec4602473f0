"""The prompt files, shipped in the package as `assistant.prompts` (see assistant/bundled.py)."""
