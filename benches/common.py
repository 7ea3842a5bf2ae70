"""Helpers shared by the benchmarks: data, timing with medians, and table printing."""

from __future__ import annotations

import gettext
import statistics
import time
from pathlib import Path
from typing import Callable, List, Sequence

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def documents(path: Path, size: int = 4096) -> List[str]:
    """The corpus cut into documents of about `size` characters, at line ends."""
    return cut_documents(path.read_text(encoding="utf-8"), size)


def cut_documents(text: str, size: int = 4096) -> List[str]:
    """`text` cut into documents of about `size` characters, at line ends."""
    docs, i = [], 0
    while i < len(text):
        j = text.find("\n", i + size)
        j = len(text) if j < 0 else j + 1
        docs.append(text[i:j])
        i = j
    return docs


def locale_messages(lang: str, max_bytes: int) -> str:
    """Up to about `max_bytes` of the translated messages of one language in the Debian message
    catalogs (/usr/share/locale/<lang>/LC_MESSAGES/*.mo), one per line, each message once:
    real text in that language, on every Debian machine. Empty if the language is not there."""
    seen, parts, size = set(), [], 0
    for mo in sorted(Path("/usr/share/locale", lang, "LC_MESSAGES").glob("*.mo")):
        try:
            with open(mo, "rb") as f:
                catalog = gettext.GNUTranslations(f)._catalog
        except Exception:  # a catalog Python's gettext cannot read
            continue
        for key, message in sorted(catalog.items(), key=lambda kv: str(kv[0])):
            if key == "" or not message or message in seen:
                continue
            seen.add(message)
            parts.append(message)
            size += len(message.encode("utf-8")) + 1
            if size >= max_bytes:
                return "\n".join(parts) + "\n"
    return "\n".join(parts) + "\n" if parts else ""


def fresh_copies(texts: Sequence[str]) -> List[str]:
    """New str objects with the same text, for one library's timed call. CPython makes a str's
    UTF-8 the first time a library asks for it and keeps it inside the str, so a library timed on
    strings another library has just encoded would not pay for that conversion, which a user
    passing new strings does."""
    return [(t + " ")[:-1] for t in texts]


def megabytes(texts: Sequence[str]) -> float:
    return sum(len(t.encode("utf-8")) for t in texts) / 1e6


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up: page faults, thread pools, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A Markdown table, ready to paste into the README."""
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
