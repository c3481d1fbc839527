"""Built-in content shipped with GAIA: the ``data-annotator`` script and the ``annotation-core`` pack."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from prompts.loader import load_pack, load_script
from prompts.script import InterviewScript
from prompts.taskpack import TaskPack

BUILTIN_DIR = Path(__file__).parent
SCRIPT_PATHS: dict[str, Path] = {"data-annotator": BUILTIN_DIR / "scripts" / "data-annotator.yaml"}
PACK_PATHS: dict[str, Path] = {"annotation-core": BUILTIN_DIR / "packs" / "annotation-core" / "pack.yaml"}


@cache
def builtin_script(script_id: str = "data-annotator") -> InterviewScript:
    """A built-in interview script, validated."""
    return load_script(SCRIPT_PATHS[script_id])


@cache
def builtin_pack(pack_id: str = "annotation-core") -> TaskPack:
    """A built-in task pack, validated with its asset files checked."""
    return load_pack(PACK_PATHS[pack_id])


def builtin_asset_path(pack_id: str, uri: str) -> Path:
    """The file behind a built-in pack's relative asset URI."""
    return PACK_PATHS[pack_id].parent / uri
