"""The repository stands alone (DOC4): no tracked text points at a document outside it.

Every tracked file that decodes as UTF-8 is read, except npm's lock files.  A markdown file it
names must be a tracked file (by its path from the root, from the naming file's folder, or by
its name); no text cites a lettered section (SPEC.md numbers its own) or holds a path on a
developer's machine; and "seed" never names an earlier API (SPEC.md PR1 calls it protocol 3 or
the original API).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[2]
THIS_FILE = Path(__file__).resolve().relative_to(ROOT).as_posix()

#: Files written by tools, quoting other packages' metadata (npm's lock files).
GENERATED = frozenset({"package-lock.json"})
#: A markdown file named in text (``SPEC.md``, ``bench/README.md``), not inside a URL.
MARKDOWN_NAME = re.compile(r"(?<![\w./:-])((?:[\w-]+/)*[\w.-]+\.md)\b")
#: A lettered section (``§E.1``): SPEC.md numbers its sections, so this is another document's.
FOREIGN_SECTION = re.compile(r"§[A-Z](?![a-z])(?:\.\d+)?")
#: An absolute path into a developer's home or work folder.
MACHINE_PATH = re.compile(r"(?<![\w.~])/(?:work|home|Users|root)/\w")
#: "seed" used as the name of an earlier API rather than of a random seed.
SEED_AS_API = re.compile(
    r"\bseed[- ](?:dialect|era|only|server|client|api|session)s?\b|\bthe [s]eed's\b|\(the [s]eed\)",
    re.IGNORECASE,
)


CHECKS = (
    (FOREIGN_SECTION, "a section of another document"),
    (MACHINE_PATH, "a machine path"),
    (SEED_AS_API, "seed as API"),
)


def tracked_texts() -> dict[str, str]:
    """Every tracked file of the repository that is UTF-8 text and not generated, by its path
    from the root."""
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    texts: dict[str, str] = {}
    for name in filter(None, listing.split("\0")):
        path = ROOT / name
        if path.name in GENERATED or not path.is_file():
            continue  # deleted in the work tree, not yet committed
        try:
            texts[name] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
    return texts


def outside_references(texts: dict[str, str]) -> list[str]:
    """``file:line: what`` for every reference that leaves the repository."""
    tracked = set(texts)
    names = {PurePosixPath(name).name for name in tracked}
    found: list[str] = []
    for name, text in texts.items():
        folder = PurePosixPath(name).parent
        for number, line in enumerate(text.splitlines(), 1):
            for match in MARKDOWN_NAME.finditer(line):
                doc = match.group(1)
                local = str(folder / doc)
                if doc not in tracked and local not in tracked and doc not in names:
                    found.append(f"{name}:{number}: {doc} is not in the repository")
            for pattern, what in CHECKS:
                if hit := pattern.search(line):
                    found.append(f"{name}:{number}: {what}: {hit.group(0)!r}")
    return found


@pytest.mark.spec("DOC4")
def test_no_tracked_text_refers_outside_the_repository() -> None:
    """Every tracked text file names only documents that are tracked, holds no machine path,
    and never calls an earlier API "the seed"."""
    texts = tracked_texts()
    assert "SPEC.md" in texts
    del texts[THIS_FILE]  # its examples below are outside references on purpose
    assert outside_references(texts) == []


@pytest.mark.spec("DOC4")
def test_the_check_finds_each_kind_of_outside_reference() -> None:
    """The checker reports a markdown file that is not tracked, a lettered section of another
    document, a path on a developer's machine and "seed" as the name of an API, and passes
    tracked names, URLs and random seeds."""
    texts = {
        "SPEC.md": "rules",
        "bench/README.md": "see SPEC.md and README.md",
        "pkg/mod.py": (
            "# after shared/spec/protocol.md\n"
            "# as §E.1 says\n"
            "# see /work/notes/x.txt\n"
            "# retry in the seed dialect\n"
            "# replay with the seed: deterministic_ids(seed)\n"
            "# https://example.com/CHANGELOG.md is a URL\n"
        ),
    }
    assert outside_references(texts) == [
        "pkg/mod.py:1: shared/spec/protocol.md is not in the repository",
        "pkg/mod.py:2: a section of another document: '§E.1'",
        "pkg/mod.py:3: a machine path: '/work/n'",
        "pkg/mod.py:4: seed as API: 'seed dialect'",
    ]
