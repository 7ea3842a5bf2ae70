"""`_core.id_lists`, which builds the lists the drop-in layers return from flat ids and row offsets."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokembed import _core


@given(st.lists(st.lists(st.integers(0, 2**32 - 1), max_size=20), max_size=10))
def test_rows_are_the_slices_of_the_flat_ids(rows):
    ids = np.array([i for row in rows for i in row], dtype=np.uint32)
    offsets = np.cumsum([0] + [len(r) for r in rows]).astype(np.int64)
    assert _core.id_lists(ids, offsets) == rows


@pytest.mark.parametrize("offsets", [[0, 4], [-1, 2], [2, 1], [0, 2, 1]])
def test_offsets_outside_the_ids_are_refused(offsets):
    with pytest.raises(ValueError, match="is not a range of the 3 ids"):
        _core.id_lists(np.arange(3, dtype=np.uint32), np.array(offsets, dtype=np.int64))


def test_no_offsets_or_one_give_no_rows():
    ids = np.arange(3, dtype=np.uint32)
    assert _core.id_lists(ids, np.zeros(0, dtype=np.int64)) == []
    assert _core.id_lists(ids, np.zeros(1, dtype=np.int64)) == []
