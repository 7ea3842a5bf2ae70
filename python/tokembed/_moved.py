"""Old module paths, kept working after the package was arranged into folders per subsystem.

Users, their scripts and their pickles name modules as they used to be (``tokembed.tokenizer``,
``tokembed.preprocess.pipeline``, ``tokembed.ray`` ...). Rather than a shim file per old name,
one import hook, installed by ``tokembed/__init__.py``, answers those names with the module that
now holds the code: the very same module object, not a copy, so that monkeypatching an old path
patches the code that runs, and ``import tokembed`` stays light (a moved module is imported
only when its old name is asked for; ``tokembed.ray`` does not import Ray before it is used).
Submodules of a moved package follow it (``tokembed.preprocess.lines`` is
``tokembed.corpus.lines``).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from typing import Dict, Optional

# Old dotted name -> where that code lives now.
MOVED: Dict[str, str] = {
    "tokembed.builtin": "tokembed.tokenizers.builtin",
    "tokembed.cli_encode": "tokembed.cli.encode",
    "tokembed.data.outputs": "tokembed.corpus.outputs",
    "tokembed.embedding": "tokembed.embeddings",
    "tokembed.encoding": "tokembed.tokenizers.encoding",
    "tokembed.options": "tokembed.tokenizers.options",
    "tokembed.positional": "tokembed.embeddings.positional",
    "tokembed.preprocess": "tokembed.corpus",
    # The metadata a shard records is built, written, read and checked in one module now.
    "tokembed.preprocess.shard_metadata": "tokembed.data.metadata",
    "tokembed.ray": "tokembed.integrations.ray",
    "tokembed.tokenizer": "tokembed.tokenizers.tokenizer",
}


def new_name(old: str) -> Optional[str]:
    """Where the module once named ``old`` lives now; None when it did not move."""
    if old in MOVED:
        return MOVED[old]
    parent, _, child = old.rpartition(".")
    moved_parent = new_name(parent) if parent else None
    return None if moved_parent is None else f"{moved_parent}.{child}"


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        new = new_name(fullname)
        if new is None:
            return None
        try:
            if importlib.util.find_spec(new) is None:
                return None
        except ModuleNotFoundError:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        module = importlib.import_module(new_name(spec.name))
        # The import system is about to set ``module.__spec__`` to the alias spec; keep the
        # module's own, for exec_module to put back (relative imports made later inside the
        # module check it against ``__package__``).
        spec.loader_state = module.__spec__
        return module

    def exec_module(self, module) -> None:
        alias = module.__spec__
        if alias is not None and alias.loader is self:
            module.__spec__ = alias.loader_state


_FINDER = _MovedModules()


def install() -> None:
    """Puts the hook first on ``sys.meta_path`` (once): before the path finder, which would
    otherwise load a second copy of a moved package's submodule under its old name."""
    if not any(isinstance(f, _MovedModules) for f in sys.meta_path):
        sys.meta_path.insert(0, _FINDER)
