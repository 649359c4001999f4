"""Where the shipped defaults (config, workflows, notifications, demo) live.

In an installed wheel they are package data under ``bvflow/_defaults/``; in a
source checkout (editable install) they are the top-level folders of the
repository.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["default_path"]

_PKG = Path(__file__).resolve().parent


def default_path(name: str) -> Path:
    """Path of the shipped default ``name`` (``"workflows"``, ``"config.toml"`` …).

    Raises:
        FileNotFoundError: when neither the package data nor the checkout has it.
    """
    for base in (_PKG / "_defaults", _PKG.parent):
        candidate = base / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"bvflow default '{name}' is missing from the installation")
