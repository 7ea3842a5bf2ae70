"""What every trainer does around its core call: options checked before any reading, inputs
counted (texts or files), the merge phase with a progress bar, and the result loaded."""

from __future__ import annotations

import sys

from .. import _checks
from ..corpus.memory import trim
from ..corpus.progress import Progress
from ..tokenizers import Tokenizer
from . import inputs as _inputs


def check_common(vocab_size, special_tokens, min_frequency, max_token_length) -> None:
    """Raises TypeError or ValueError for options the trainers share (before any reading)."""
    _checks.integer(vocab_size, "vocab_size", minimum=1)
    _checks.integer(min_frequency, "min_frequency", minimum=0)
    if max_token_length is not None:
        _checks.integer(max_token_length, "max_token_length", minimum=1)
    if isinstance(special_tokens, str) or not all(isinstance(t, str) and t for t in special_tokens):
        raise TypeError("special_tokens must be a sequence of non-empty str")


def loaded(json_text: str) -> Tokenizer:
    """The trained tokenizer; the caller drops its counter first (the counts are not needed for
    it, and the peak memory is lower without them), and the heap's free memory goes back first."""
    trim()
    return Tokenizer.from_str(json_text)


def run_merges(counter, show: bool, train, unit: str = " merges") -> str:
    """``train(progress_callback_or_None)`` on a counter that holds words, with a bar."""
    if counter.distinct_words == 0:
        raise ValueError("the inputs hold no text to train on")
    trim()
    bar = MergeBar(show, unit)
    try:
        return train(bar.update if show else None)
    finally:
        bar.close()


def count_words(counter, inputs: object, show: bool, *, json_key: str, errors: str, input_format: str) -> None:
    patterns = _inputs.file_patterns(inputs)
    if patterns is not None:
        _inputs.feed_files(counter, patterns, show, json_key=json_key, errors=errors, input_format=input_format)
        return
    if isinstance(inputs, str) or not hasattr(inputs, "__iter__"):
        raise TypeError(f"inputs must be texts or file names, got {type(inputs).__name__}")
    bar = Progress(None, show, desc="count words")
    try:
        _inputs.feed_texts(counter, inputs, bar)  # type: ignore[arg-type]
    finally:
        bar.close()


class MergeBar:
    """Merges (or pruned pieces) done out of the most there can be, with an ETA (tqdm), on standard error."""

    def __init__(self, enabled: bool, unit: str = " merges"):
        self._bar = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=None, unit=unit, desc="train", file=sys.stderr, dynamic_ncols=True)

    def update(self, done: int, at_most: int) -> None:
        if self._bar is not None:
            if at_most and self._bar.total != at_most:
                self._bar.total = at_most
            self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

