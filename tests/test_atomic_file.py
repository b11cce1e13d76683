"""nn.io.npz.atomic_file: which errors are the file's."""

from __future__ import annotations

import pytest

from nn.io.npz import atomic_file


def test_an_error_of_the_data_written_is_not_blamed_on_the_file(tmp_path):
    """A download whose connection breaks says so, not "cannot write FILE"."""
    with pytest.raises(ConnectionResetError) as caught:
        with atomic_file(tmp_path / "x.gz") as f:
            f.write(b"part")
            raise ConnectionResetError(104, "Connection reset by peer")
    assert "cannot write" not in str(caught.value) and not list(tmp_path.iterdir())
    with pytest.raises(OSError, match="cannot write .*x.gz.*No space left"):
        with atomic_file(tmp_path / "x.gz"):
            raise OSError(28, "No space left on device")
