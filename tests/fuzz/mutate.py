"""Structure-aware mutation of tokenizer files and generation of hostile argument values.

Every function takes a `random.Random`, so a case is reproduced from its seed alone.
Mutations keep most of a real file intact (so the loader gets past parsing and the damaged part
reaches the code behind it) and damage it the way a broken converter, a truncated download or
a hostile author would: wrong types, extreme numbers, missing or duplicated entries, swapped
component types, regexes with catastrophic shapes, bad base64, invalid UTF-8.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

# Values of every JSON type, with the extremes loaders must survive.
EXTREME_INTS = [0, 1, -1, 2, 255, 256, 65535, 2**31 - 1, 2**31, 2**32, 2**53, 2**63 - 1, 2**63, 2**64, -(2**63)]
NASTY_STRINGS = [
    "", " ", "[PAD]", "[UNK]", "<|endoftext|>", "\u0120", "##", "\x00", "\ud800x", "é", "\U0001F600", "a" * 1000,
    "(", ")", "[", "\\", "(?", "(?<", "(?!x)", "\\p{", "\\p{Zz}", "a{99999999}", "(a+)+$", "(\\w+\\s?)+(?!x)$",
    "(?i)", "\\b", "$", "^", ".*", "|", "[^\\s\\S]", "(?=(?=(?=a)))", "\\1", "(.)\\1",
]
COMPONENT_TYPES = [
    "BPE", "WordPiece", "WordLevel", "Unigram", "ByteLevel", "Split", "Sequence", "Whitespace",
    "WhitespaceSplit", "BertPreTokenizer", "Punctuation", "Digits", "Metaspace", "BertNormalizer", "NFC",
    "NFD", "NFKC", "NFKD", "Lowercase", "StripAccents", "Replace", "Precompiled", "Strip", "Prepend",
    "TemplateProcessing", "BertProcessing", "RobertaProcessing", "ByteFallback", "Fuse", "CTC", "Nope", "",
]


def random_scalar(rng: random.Random) -> Any:
    kind = rng.randrange(7)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice(EXTREME_INTS)
    if kind == 3:
        return rng.choice([0.5, -0.0, 1e308, -1e308, 1e-300, 3.0])
    if kind == 4:
        return rng.choice(NASTY_STRINGS)
    if kind == 5:
        return rng.choice(COMPONENT_TYPES)
    return "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(0, 8)))


def random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(4) if depth < 2 else 0
    if kind == 0 or kind == 3:
        return random_scalar(rng)
    if kind == 1:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    return {rng.choice(["type", "pattern", "content", "id", "vocab", "merges", "behavior", "String", "Regex"]):
            random_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))}


def _paths(node: Any, path: tuple = (), out: list | None = None, limit: int = 64) -> list:
    """Paths to nodes, with big containers (vocabularies, merges) sampled, not enumerated."""
    out = [] if out is None else out
    out.append(path)
    if isinstance(node, dict):
        keys = list(node)
        for k in keys if len(keys) <= limit else keys[:8] + keys[-8:]:
            _paths(node[k], path + (k,), out, limit)
    elif isinstance(node, list):
        idx = range(len(node)) if len(node) <= limit else list(range(8)) + list(range(len(node) - 8, len(node)))
        for i in idx:
            _paths(node[i], path + (i,), out, limit)
    return out


def _get(node: Any, path: tuple) -> Any:
    for p in path:
        node = node[p]
    return node


def mutate_json(doc: Any, rng: random.Random, rounds: int | None = None) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(rounds or rng.randrange(1, 4)):
        paths = _paths(doc)
        path = rng.choice(paths[1:]) if len(paths) > 1 else ()
        if not path:
            return random_value(rng)
        parent, key = _get(doc, path[:-1]), path[-1]
        op = rng.randrange(10)
        if op == 0 and isinstance(parent, dict):
            del parent[key]
        elif op == 0 and isinstance(parent, list):
            parent.pop(key)
        elif op == 1:
            parent[key] = random_value(rng)
        elif op == 2:
            parent[key] = random_scalar(rng)
        elif op == 3 and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))  # a duplicated entry
        elif op == 4 and isinstance(parent, list) and len(parent) > 1:
            j = rng.randrange(len(parent))
            parent[key], parent[j] = parent[j], parent[key]
        elif op == 5 and isinstance(parent[key], str):
            s = parent[key]
            cut = rng.randrange(len(s) + 1)
            parent[key] = s[:cut] + rng.choice(NASTY_STRINGS) + s[cut:]
        elif op == 6 and isinstance(parent[key], int) and not isinstance(parent[key], bool):
            parent[key] = rng.choice(EXTREME_INTS)
        elif op == 7 and isinstance(parent[key], dict) and "type" in parent[key]:
            parent[key]["type"] = rng.choice(COMPONENT_TYPES)
        elif op == 8 and isinstance(parent[key], dict) and parent[key]:
            inner = rng.choice(list(parent[key]))
            parent[key][inner] = random_value(rng)  # a vocabulary id, a merge, an option
        elif op == 9 and isinstance(parent[key], (list, dict)):
            parent[key] = type(parent[key])()  # emptied
    return doc


def mutate_lines(lines: list, rng: random.Random, line_mutator) -> list:
    lines = list(lines)
    for _ in range(rng.randrange(1, 5)):
        if not lines:
            lines.append(line_mutator("", rng))
            continue
        i = rng.randrange(len(lines))
        op = rng.randrange(6)
        if op == 0:
            lines.pop(i)
        elif op == 1:
            lines.insert(rng.randrange(len(lines) + 1), lines[i])  # duplicate
        elif op == 2:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3:
            lines[i] = line_mutator(lines[i], rng)
        elif op == 4:
            lines.insert(i, line_mutator(lines[i], rng))
        else:
            del lines[i:i + rng.randrange(1, 300)]
    return lines


def mutate_tiktoken_line(line: str, rng: random.Random) -> str:
    token, _, rank = line.partition(" ")
    op = rng.randrange(7)
    if op == 0:
        return f"{token} {rng.choice(EXTREME_INTS)}"
    if op == 1:
        return f"{token[:max(0, len(token) - rng.randrange(1, 4))]} {rank}"  # broken base64
    if op == 2:
        return f"= {rank}"  # the empty token (Whisper's last line)
    if op == 3:
        return f"{token} {rank} extra"
    if op == 4:
        return rng.choice(["", " ", "\t", "#", "YQ==", "YQ== x", "YQ== -1", "YQ==  1", "YQ== 1.5"])
    if op == 5:
        return f"{token}\t{rank}"
    return f"{token} {rank}{rng.choice(['', ' ', '0', '9' * 30])}"


def mutate_vocab_line(line: str, rng: random.Random) -> str:
    op = rng.randrange(5)
    if op == 0:
        return ""
    if op == 1:
        return line + rng.choice(NASTY_STRINGS)
    if op == 2:
        return "##" + line
    if op == 3:
        return rng.choice(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", " ", "\t", "\r"])
    return rng.choice(NASTY_STRINGS)


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """Unstructured damage: flipped bytes, a cut, invalid UTF-8 spliced in."""
    b = bytearray(data)
    for _ in range(rng.randrange(1, 6)):
        op = rng.randrange(4)
        if op == 0 and b:
            b[rng.randrange(len(b))] = rng.randrange(256)
        elif op == 1 and b:
            del b[rng.randrange(len(b)):]
        elif op == 2:
            at = rng.randrange(len(b) + 1)
            b[at:at] = rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\xef\xbb\xbf"])
        elif b:
            at = rng.randrange(len(b))
            b[at:at] = b[at:at + rng.randrange(1, 64)]
    return bytes(b)


def shrink_json(doc: dict) -> dict:
    """A smaller but consistent copy of a real file (fast to load many times): the first
    merges and the tokens they need for BPE, the first tokens for WordPiece, and sampled lists
    elsewhere."""
    doc = copy.deepcopy(doc)
    model = doc.get("model", {})
    vocab = model.get("vocab")
    if model.get("type") == "BPE" and isinstance(vocab, dict):
        merges = model.get("merges", [])[:1500]
        keep = {t for t, i in vocab.items() if len(t) == 1 or i < 300}
        for m in merges:
            a, b = (m.split(" ", 1) if isinstance(m, str) else m)
            keep.update([a, b, a + b])
        model["vocab"] = {t: i for t, i in vocab.items() if t in keep}
        model["merges"] = merges
    elif isinstance(vocab, dict):
        model["vocab"] = dict(list(vocab.items())[:3000])
    elif isinstance(vocab, list):
        model["vocab"] = vocab[:1200]
    return doc


def dumps(doc: Any, rng: random.Random) -> str:
    try:
        return json.dumps(doc, ensure_ascii=rng.random() < 0.5)
    except ValueError:  # e.g. a lone surrogate cannot be written unescaped
        return json.dumps(doc)
