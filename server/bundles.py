"""Task-pack bundles: a .zip with the pack document and its asset files, unpacked safely into the data folder."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from prompts.errors import ContentError, ContentIssue
from prompts.loader import parse_text

MAX_FILES = 2000
DOCUMENT_NAMES = ("pack.yaml", "pack.yml", "pack.json")


def _document_name(names: list[str], source: str) -> str:
    documents = [n for n in names if PurePosixPath(n).name in DOCUMENT_NAMES]
    if len(documents) != 1:
        found = ", ".join(documents) or "none"
        raise ContentError(
            source, [ContentIssue("file", f"a bundle needs exactly one pack.yaml or pack.json (found: {found})")]
        )
    return documents[0]


def unpack_bundle(raw: bytes, source: str, assets_root: Path, max_unpacked: int) -> tuple[Any, Path]:
    """Parse the pack document in a zip and extract the bundle under ``assets_root/<sha256>``.

    Returns the parsed document and the folder its relative asset URIs resolve against. Paths that
    escape the folder, too many files or too many unpacked bytes are refused with a named error.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise ContentError(source, [ContentIssue("file", "not a readable .zip archive")]) from exc
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > MAX_FILES:
            raise ContentError(source, [ContentIssue("file", f"more than {MAX_FILES} files in the bundle")])
        if sum(i.file_size for i in infos) > max_unpacked:
            raise ContentError(source, [ContentIssue("file", f"bundle unpacks to more than {max_unpacked} bytes")])
        for info in infos:
            path = PurePosixPath(info.filename)
            if path.is_absolute() or ".." in path.parts:
                raise ContentError(source, [ContentIssue(info.filename, "path leaves the bundle; remove it")])
        document = _document_name([i.filename for i in infos], source)
        try:
            text = archive.read(document).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ContentError(f"{source}:{document}", [ContentIssue("", "not UTF-8 text")]) from exc
        data = parse_text(text, f"{source}:{document}")
        target = (assets_root / hashlib.sha256(raw).hexdigest()).resolve()
        if not target.exists():
            staging = target.with_name(target.name + ".partial")
            staging.mkdir(parents=True, exist_ok=True)
            archive.extractall(staging)
            staging.rename(target)
    return data, target / PurePosixPath(document).parent
