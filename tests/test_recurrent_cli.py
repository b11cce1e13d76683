"""The command line of the recurrent part: nn train --dataset names, nn evaluate, nn generate,
nn bench recurrent (the last two declared by nn.cli.generate and nn.cli.recurrent)."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

import nn
from nn.bench import recurrent as bench
from nn.cli import main
from nn.cli.generate import add_generate
from nn.cli.recurrent import add_bench_recurrent
from nn.datasets.census_names import names, names_dataset, names_split
from nn.datasets.sequences import Vocabulary, char_sequences
from nn.models.bigram import bigram_counts, bigram_network
from nn.models.sampling import generate


def parser_with(adder) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nn")
    adder(parser.add_subparsers(dest="command"))
    return parser


@pytest.fixture
def small_names(monkeypatch):
    """nn train --dataset names on 300 training and 100 held-out names (the real ones)."""
    (X, Y), (Xt, Yt), _ = names_dataset()
    small = ((X[:300], Y[:300]), (Xt[:100], Yt[:100]))
    monkeypatch.setattr("nn.cli.options.load_sequence_dataset", lambda name: small)
    return small


def test_train_evaluate_and_generate_a_character_model(small_names, tmp_path, capsys):
    path = str(tmp_path / "gru.npz")
    args = ["train", "--dataset", "names", "--cell", "gru", "--hidden", "16", "--embedding", "8"]
    args += ["--optimizer", "adam", "--lr", "0.01", "--batch-size", "32", "--epochs", "2"]
    assert main([*args, "--quiet", "--save", path]) == 0
    out = capsys.readouterr().out
    assert "network [27, 8, 16, 27]" in out and "Test loss" in out
    net = nn.load(path)
    assert net.metadata["vocabulary"] == Vocabulary.of_names().chars
    assert isinstance(net.layers[1], nn.GRU) and net.layers[1].n_hidden == 16
    assert main(["evaluate", path]) == 0
    assert "on names (100 test examples): loss" in capsys.readouterr().out
    gen = parser_with(add_generate)
    cmd = gen.parse_args(["generate", path, "--n", "5", "--prompt", "mc", "--seed", "3"])
    assert cmd.func(cmd) == 0
    words = capsys.readouterr().out.split()
    assert len(words) == 5 and all(w.startswith("mc") and w.isalpha() for w in words)
    cmd2 = gen.parse_args(["generate", path, "--n", "5", "--prompt", "mc", "--seed", "3"])
    cmd2.func(cmd2)
    assert capsys.readouterr().out.split() == words  # the same seed, the same names


def test_generate_refuses_a_model_that_is_not_a_character_model(tmp_path):
    path = str(tmp_path / "mlp.npz")
    nn.mlp([2, 3, 1], seed=0).save(path)
    cmd = parser_with(add_generate).parse_args(["generate", path])
    with pytest.raises(ValueError, match="not a character model"):
        cmd.func(cmd)
    for bad in (["--n", "0"], ["--temperature", "0"]):
        cmd = parser_with(add_generate).parse_args(["generate", path, *bad])
        with pytest.raises(ValueError):
            cmd.func(cmd)


def test_the_names_ship_with_the_package_and_split_the_same_everywhere():
    last, first = names("last"), names("first")
    assert len(last) == 88_799 and len(first) == 5_163
    assert last[:3] == ["smith", "johnson", "williams"] and first[0] == "mary"
    train, test = names_split()
    assert len(test) == 8_880 and not set(train) & set(test)
    assert test[:3] == names_split()[1][:3]  # a fixed seed
    with pytest.raises(ValueError, match="kind"):
        names("middle")


def test_char_sequences_pad_inputs_with_the_boundary_and_targets_with_zeros():
    v = Vocabulary.of_names()
    X, Y = char_sequences(["ab", "c"], v, T=4)
    np.testing.assert_array_equal(X, [[0, 1, 2, 0], [0, 3, 0, 0]])
    assert v.decode(Y[0].argmax(-1)[:3]) == "ab." and Y[0, 3].sum() == 0
    assert Y[1, :2].sum() == 2 and Y[1, 2:].sum() == 0
    with pytest.raises(ValueError, match="too short"):
        char_sequences(["abc"], v, T=3)
    with pytest.raises(ValueError, match="'A'"):
        v.encode("Abc")


def test_the_bigram_network_holds_the_counts_and_beats_nothing_else():
    v = Vocabulary.of_names()
    X, Y = char_sequences(["ab", "ab", "b"], v)
    N = bigram_counts(X, Y)
    assert N[0, 1] == 2 and N[0, 2] == 1 and N[1, 2] == 2 and N[2, 0] == 3 and N.sum() == 8
    net = bigram_network(X, Y, alpha=1e-9, dtype=np.float64)
    # P(b | .) = 1/3, P(a | .) = 2/3, P(b | a) = 1, P(. | b) = 1: loss = -(2 ln 2/3 + ln 1/3)/8
    expected = -(2 * np.log(2 / 3) + np.log(1 / 3)) / 8
    assert abs(net.evaluate(X, Y)["loss"] - expected) < 1e-6
    words = generate(net, v, 50, seed=0)
    assert set(words) <= {"ab", "b"} and {"ab", "b"} <= set(words)


def test_generate_is_seeded_and_the_temperature_sharpens():
    v = Vocabulary.of_names()
    X, Y = char_sequences(["b"] * 4 + ["ab"] * 2 + ["cab"], v)
    net = bigram_network(X, Y, alpha=0.5, dtype=np.float64)
    assert generate(net, v, 30, seed=1) == generate(net, v, 30, seed=1)
    cold = generate(net, v, 200, seed=2, temperature=0.05)
    assert set(cold) == {"b"}  # the likeliest first character, then the likeliest end
    with pytest.raises(ValueError, match="boundary"):
        generate(net, v, 2, prompt="a.b")


def test_bench_recurrent_times_three_routes_and_skips_the_slow_one(capsys):
    rows = bench.measure("gru", [(3, 4), (6, 4)], budget=1e-9, repeats=1)
    assert set(rows[0]["seconds"]) == set(bench.ROUTES)
    assert "python" not in rows[1]["seconds"]  # predicted over the budget
    table = bench.format_table("gru", rows)
    assert "(skipped)" in table and "| 3 | 4 |" in table
    cmd = parser_with(lambda sub: add_bench_recurrent(sub)).parse_args(
        ["recurrent", "--cell", "rnn", "--ladder", "width", "--repeats", "0"]
    )
    with pytest.raises(ValueError, match="--repeats"):
        cmd.func(cmd)
