"""The GP tests run torch on one thread.

The test machine's two cores are shared with other jobs; OpenMP threads that
spin-wait for a busy sibling core made this folder several times slower (4.5
minutes instead of 40 seconds). One thread is also what the small problems
here need. The setting is restored after the tests.
"""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True, scope="package")
def _one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
