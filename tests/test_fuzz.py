"""Fuzzing: malformed bytes and arrays reach only the documented exceptions.

* ``datasets.read_idx`` may raise only :class:`nn.datasets.IDXError`;
* ``nn.load`` only :class:`nn.ModelFileError`;
* ``Network.fit`` only ``ValueError`` or ``TypeError`` (and leaves the weights untouched).

Memory stays bounded because the readers are given small ``max_bytes`` limits and the arrays
are tiny; time stays bounded because every example is small (a 5-second deadline catches a
hang). The number of examples per test is ``NN_FUZZ_EXAMPLES`` (default 300), e.g.

    NN_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py --hypothesis-show-statistics
"""

from __future__ import annotations

import io
import json
import os
import struct
import tempfile
import warnings
import zipfile
from datetime import timedelta

import numpy as np
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nn
from nn.datasets import IDXError, read_idx, write_idx

EXAMPLES = int(os.environ.get("NN_FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=False,
)
LIMIT = 1 << 16  # bytes of array data the readers may allocate in these tests
TMP = tempfile.mkdtemp(prefix="nn-fuzz-")


@st.composite
def mutations(draw, base: bytes, hot: list[int]):
    """``base`` with 1 to 6 byte-level edits, half of them near the ``hot`` offsets."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        if hot and draw(st.booleans()):
            i = min(len(data) - 1, draw(st.sampled_from(hot)) + draw(st.integers(0, 40)))
        else:
            i = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete", "int32"]))
        if op == "flip":
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            data[i] = draw(st.integers(0, 255))
        elif op == "truncate":
            del data[i:]
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[i : i + draw(st.integers(1, 16))]
        else:  # overwrite 4 bytes with a boundary value: sizes and counts live in such fields
            value = draw(st.sampled_from([0, 1, 2**31 - 1, 2**31, 2**32 - 1, 255, 65535]))
            data[i : i + 4] = struct.pack(draw(st.sampled_from(["<I", ">I"])), value)
    return bytes(data)


# ---------------------------------------------------------------- IDX reader
IDX_DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


def read_bytes(data: bytes, seekable: bool) -> np.ndarray:
    stream = io.BytesIO(data)
    if not seekable:
        stream = io.BufferedReader(_Unseekable(data))  # type: ignore[assignment]
    return read_idx(stream, max_bytes=LIMIT)


class _Unseekable(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        return self._data.readinto(b)


def check_idx(data: bytes, seekable: bool) -> None:
    try:
        arr = read_bytes(data, seekable)
    except IDXError:
        event("refused")
        return
    event("read")
    assert isinstance(arr, np.ndarray) and arr.nbytes <= LIMIT


@FUZZ
@given(data=st.binary(max_size=80), seekable=st.booleans())
def test_idx_reader_on_random_bytes(data, seekable):
    check_idx(data, seekable)
    check_idx(b"\x00\x00" + data, seekable)  # past the magic number, into the header


@st.composite
def idx_files(draw):
    dtype = draw(st.sampled_from(IDX_DTYPES))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6))
    arr = draw(hnp.arrays(dtype, shape))
    compress = draw(st.booleans())
    path = os.path.join(TMP, "a.idx.gz" if compress else "a.idx")
    write_idx(path, arr)
    with open(path, "rb") as f:
        base = f.read()
    hot = [0, 4] if not compress else [0, 10, max(0, len(base) - 8)]
    return arr, draw(mutations(base, hot)), draw(st.booleans())


@FUZZ
@given(case=idx_files())
def test_idx_reader_on_mutated_files(case):
    _, data, seekable = case
    check_idx(data, seekable)


@FUZZ
@given(
    code=st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x00, 0xFF]),
    dims=st.lists(st.sampled_from([0, 1, 3, 255, 65536, 2**31, 2**32 - 1]), max_size=4),
    extra=st.integers(-4, 4),
    seekable=st.booleans(),
)
def test_idx_reader_on_headers_that_lie_about_sizes(code, dims, extra, seekable):
    header = bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)
    size = int(np.prod(dims, dtype=object)) if dims else 1
    n = max(0, min(size * 8, 4096) + extra)  # never the absurd claimed size itself
    check_idx(header + bytes(n), seekable)


def test_idx_headers_claiming_absurd_sizes_cost_no_memory():
    import tracemalloc

    header = bytes([0, 0, 0x0E, 3]) + struct.pack(">3I", 1000, 1000, 200)  # 1.6 GB of float64
    for seekable in (True, False):
        tracemalloc.start()
        try:
            try:
                read_idx(
                    io.BytesIO(header + bytes(100))
                    if seekable
                    else io.BufferedReader(_Unseekable(header + bytes(100)))
                )  # default 2 GiB limit: not refused early
            except IDXError as err:
                assert "shorter than the header claims" in str(err)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 4 * 1024**2, peak
    huge = bytes([0, 0, 0x08, 2]) + struct.pack(">2I", 2**32 - 1, 2**32 - 1)
    try:
        read_idx(io.BytesIO(huge))
    except IDXError as err:
        assert "limit" in str(err)


def test_idx_reader_still_reads_what_it_writes():
    arr = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    path = os.path.join(TMP, "ok.idx.gz")
    write_idx(path, arr)
    with open(path, "rb") as f:
        assert np.array_equal(read_bytes(f.read(), seekable=False), arr)


# ---------------------------------------------------------------- model loader
def _model_bytes(sizes, dtype) -> tuple[bytes, list[int]]:
    path = os.path.join(TMP, "base.npz")
    nn.mlp(sizes, seed=0, dtype=dtype).save(path)
    with open(path, "rb") as f:
        data = f.read()
    with zipfile.ZipFile(path) as z:
        hot = [info.header_offset for info in z.infolist()]
    hot += [max(0, len(data) - 22 - 46 * k) for k in range(1, 6)]  # the central directory
    return data, hot


BASE_MODELS = [_model_bytes(s, d) for s, d in [([3, 2], np.float32), ([2, 3, 2], np.float64)]]


def check_load(data: bytes) -> None:
    path = os.path.join(TMP, "fuzz.npz")
    with open(path, "wb") as f:
        f.write(data)
    try:
        net = nn.load(path, max_bytes=LIMIT)
    except nn.ModelFileError:
        event("refused")
        return
    event("loaded")
    out = net.predict(np.ones((2, net.n_in)))  # what loads, works
    assert np.isfinite(out).all()


@FUZZ
@given(case=st.sampled_from(BASE_MODELS).flatmap(lambda b: mutations(*b)))
def test_model_loader_on_mutated_files(case):
    check_load(case)


@FUZZ
@given(data=st.binary(max_size=200))
def test_model_loader_on_random_bytes(data):
    check_load(data)
    check_load(b"PK\x03\x04" + data)


json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(), st.text(max_size=4)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)


@st.composite
def crafted_models(draw):
    """Well-formed archives whose description and arrays are chosen by an attacker."""
    n_in, n_out = draw(st.integers(-1, 10**9)), draw(st.integers(-1, 10**6))
    layer = draw(
        st.one_of(
            st.fixed_dictionaries(
                {"type": st.sampled_from(["Dense", "Sigmoid", "Evil", "__init__"]),
                 "config": st.one_of(st.just({"n_in": n_in, "n_out": n_out}), json_values)}
            ),
            json_values,
        )
    )  # fmt: skip
    desc = {
        "format": draw(st.sampled_from(["nn-model", "other"])),
        "version": draw(st.sampled_from([1, 1, 1, 2, True, "1", 1.0, None])),
        "dtype": draw(st.sampled_from(["float32", "float64", "object", "int32", "f8,f8", "x"])),
        "layers": draw(st.one_of(st.just([layer]), json_values)),
        "loss": draw(st.sampled_from([{"type": "SquaredError", "config": {}}, {"type": "X"}, 3])),
    }
    arrays = {
        "__nn_model__": np.frombuffer(json.dumps(desc).encode(), np.uint8),
        "0.W": draw(hnp.arrays(st.sampled_from([np.float32, np.float64, np.int8, ">f4"]),
                               hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))),
        "0.b": draw(hnp.arrays(np.float32, hnp.array_shapes(min_dims=0, max_dims=2, max_side=4))),
    }  # fmt: skip
    for name in draw(st.lists(st.sampled_from(["0.b", "1.W", "__nn_model__"]), max_size=2)):
        arrays.pop(name, None)
    buf = io.BytesIO()
    if draw(st.booleans()):
        np.savez(buf, **arrays)
    else:
        np.savez_compressed(buf, **arrays)
    return buf.getvalue()


@FUZZ
@given(data=crafted_models())
def test_model_loader_on_crafted_descriptions(data):
    check_load(data)


# ---------------------------------------------------------------- fit's validation
numeric_dtypes = st.sampled_from(
    [np.float32, np.float64, np.float16, np.int64, np.int8, np.uint8, np.bool_, np.complex64]
)
any_array = st.one_of(
    hnp.arrays(numeric_dtypes, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)),
    hnp.arrays(hnp.unicode_string_dtypes(max_len=2), hnp.array_shapes(max_dims=2, max_side=4)),
    st.lists(st.one_of(st.integers(), st.floats(), st.text(max_size=1), st.none()), max_size=6).map(
        lambda v: np.array(v, dtype=object)
    ),
    st.lists(st.lists(st.floats(-5, 5), max_size=3), max_size=5),  # possibly ragged
    st.none(),
)


@st.composite
def fit_calls(draw):
    n = draw(st.integers(0, 6))
    floats = st.sampled_from([np.float32, np.float64])
    valid_x = hnp.arrays(floats, (n, 3), elements=st.floats(-1e3, 1e3, width=32))
    valid_y = st.one_of(
        hnp.arrays(np.int64, (n,), elements=st.integers(0, 2)),
        hnp.arrays(floats, (n, 3), elements=st.floats(-2, 2, width=32)),
    )
    near_x = hnp.arrays(st.sampled_from([np.float32, np.float64, np.int32]), (n, 3))
    near_y = st.one_of(
        hnp.arrays(np.int64, (n,), elements=st.integers(-1, 3)),
        hnp.arrays(floats, (n, draw(st.integers(1, 4)))),
        hnp.arrays(np.float64, (n,)),
    )
    X = draw(st.one_of(valid_x, near_x, any_array))
    Y = draw(st.one_of(valid_y, near_y, any_array))
    number = st.one_of(
        st.integers(-2, 3), st.floats(), st.text(max_size=2), st.none(), st.booleans()
    )

    def mostly(valid):  # three times in four a valid value, so training runs too
        return st.sampled_from([valid, valid, valid, number]).flatmap(lambda strategy: strategy)

    kwargs = {
        "epochs": draw(mostly(st.integers(1, 2))),
        "batch_size": draw(mostly(st.integers(1, 4))),
        "lr": draw(mostly(st.floats(1e-3, 1e3))),
    }
    if draw(st.booleans()):
        kwargs["validation_data"] = draw(st.one_of(st.tuples(near_x, near_y), any_array))
    rarely = st.integers(0, 3).map(lambda k: k == 0)  # one time in four: training runs too
    if draw(rarely):  # issue 13: every argument, and their combinations
        kwargs["validation_split"] = draw(
            st.one_of(st.sampled_from([0.0, 0.25, 0.5]), number, hnp.arrays(np.float64, (1,)))
        )
    if draw(rarely):
        kwargs["callbacks"] = draw(
            st.sampled_from(
                [None, [], [nn.EarlyStopping(patience=1)], [nn.EarlyStopping("accuracy")],
                 [nn.EarlyStopping], [object()], (nn.Callback(),), "x"]
            )
        )  # fmt: skip
    if draw(rarely):
        kwargs["checkpoint_every"] = draw(st.one_of(st.sampled_from(["epoch", 1, 3]), number))
    return X, Y, kwargs


@FUZZ
@given(call=fit_calls())
def test_fit_validation_on_random_arrays_and_arguments(call):
    X, Y, kwargs = call
    net = nn.mlp([3, 4, 3], seed=0)
    before = [p.copy() for _, p, _ in net.parameters()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.TrainingDiverged)
        try:
            history = net.fit(X, Y, verbose=False, **kwargs)
        except (ValueError, TypeError) as err:
            event(f"refused ({type(err).__name__})")
            after = [p for _, p, _ in net.parameters()]
            assert all(a.tobytes() == b.tobytes() for a, b in zip(before, after))
            return
    event("trained" if "stopped" not in history else "trained, then diverged")
    assert history["epoch"] == list(range(1, len(history["epoch"]) + 1))
    assert all(np.isfinite(p).all() for _, p, _ in net.parameters())
