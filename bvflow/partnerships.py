"""Partnerships of an installation: check, list and add them (``bvflow partnership …``).

A partnership is described in its own TOML file (see :mod:`bvflow.config`);
the installation's ``config.toml`` lists the files. Adding one needs no code:
the file is checked against its workflow, copied into ``partnerships/`` and
appended to ``config.toml`` (comments and layout of the file are kept).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .config import PartnershipConfig, load_partnership, load_site
from .errors import DefinitionError, InputError

__all__ = ["PartnershipSummary", "add_partnership", "check_partnership", "list_partnerships"]


@dataclass(frozen=True)
class PartnershipSummary:
    """key, name, workflow, file, and party keys per role."""

    key: str
    name: str
    workflow: str
    file: str
    roles: dict[str, list[str]]

    @classmethod
    def of(cls, pc: PartnershipConfig) -> PartnershipSummary:
        roles: dict[str, list[str]] = {}
        for p in pc.parties:
            roles.setdefault(p.role, []).append(p.key)
        return cls(pc.key, pc.name, pc.workflow.name, pc.file, roles)

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def list_partnerships(config_path: str | Path | None) -> list[PartnershipSummary]:
    """Every partnership of the installation, in config order.

    Raises: DefinitionError when any file is invalid (the first problem).
    """
    return [PartnershipSummary.of(pc) for pc in load_site(config_path).partnerships]


def check_partnership(file: str | Path, config_path: str | Path | None) -> PartnershipSummary:
    """Validate one partnership file against the installation's workflows.

    Raises: DefinitionError naming the file, key and value.
    """
    site = load_site(config_path)
    return PartnershipSummary.of(load_partnership(Path(file).resolve(), site.path.parent))


def add_partnership(file: str | Path, config_path: str | Path | None) -> PartnershipSummary:
    """Check ``file``, copy it into ``partnerships/`` and list it in ``config.toml``.

    Raises:
        DefinitionError: the file is invalid, or its key is taken.
        InputError: a different file of that name is already in ``partnerships/``.
    """
    src = Path(file).resolve()
    site = load_site(config_path)
    pc = load_partnership(src, site.path.parent)
    if any(p.key == pc.key for p in site.partnerships):
        raise DefinitionError(str(src), "partnership.key", pc.key,
                              "this installation already has a partnership with this key")
    target_dir = site.path.parent / "partnerships"
    target_dir.mkdir(exist_ok=True)
    target = target_dir / src.name
    if target.exists() and target.resolve() != src:
        raise InputError("file", str(src), f"{target} exists already; rename the file")
    copied = target.resolve() != src and not target.exists()
    if copied:
        shutil.copy2(src, target)
    rel = target.relative_to(site.path.parent).as_posix()
    text = site.path.read_text(encoding="utf-8")
    sep = "" if text.endswith("\n") else "\n"
    staged = site.path.with_name(site.path.name + ".new")
    staged.write_text(f'{text}{sep}\n[[partnerships]]\nfile = "{rel}"\n', encoding="utf-8")
    try:
        load_site(staged)  # the whole installation must still load before we switch
    except Exception:
        staged.unlink()
        if copied:
            target.unlink()
        raise
    os.replace(staged, site.path)
    return PartnershipSummary.of(pc)
