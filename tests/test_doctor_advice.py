"""The doctor's advice agrees with its own experiments (``nn diagnose`` end to end)."""

from __future__ import annotations

import re

from nn.cli import main

DEEP_RELU = ["diagnose", "--sizes", "784,30,30,30,30,10", "--activation", "relu"]
DEEP_RELU += ["--init", "he_normal"]


def run(capsys, *args: str) -> str:
    main(list(args))
    return capsys.readouterr().out


def finding(out: str, name: str) -> str:
    """The evidence and suggestion lines of finding ``name`` in a printed report."""
    match = re.search(rf"^\[{name}\].*?(?=^\[|\Z)", out, flags=re.S | re.M)
    assert match, f"no {name} in:\n{out}"
    return match.group(0)


def failed_rates(out: str) -> list[float]:
    """Rates of the experiments that diverged or ended no better than guessing."""
    guess = float(re.search(r"\(guessing: ([\d.e+-]+)\)", out).group(1))
    note = re.search(r"learning-rate experiments \(final probe loss\): (.*)", out).group(1)
    pairs = re.findall(r"lr ([\d.e+-]+): ([\w.e+-]+)", note)
    return [float(lr) for lr, loss in pairs if loss == "nan" or float(loss) >= 0.9 * guess]


def suggested_rate(text: str) -> float:
    return float(re.search(r"(?:try|set the learning rate to) ([\d.e+-]+)", text).group(1))


def test_a_rate_seen_to_diverge_is_not_suggested(capsys):
    out = run(capsys, *DEEP_RELU, "--lr", "300")
    lr = finding(out, "lr_too_high")
    failed = failed_rates(out)
    assert failed == [30.0, 3.0]  # both diverge, and 3 is the optimizer's usual rate
    assert "set the learning rate to 3," not in lr
    assert suggested_rate(lr.split("suggestion:")[1]) < min(failed)
    assert "try 0.3 or lower" in lr and "lr 300 (in use): nan, lr 30: nan, lr 3: nan" in lr


def test_the_suggestion_follows_the_experiments_results(capsys):
    # /10 diverges and /100 only reaches guessing: "divide by 10 (or more)" would mislead
    out = run(capsys, *DEEP_RELU, "--lr", "30")
    lr = finding(out, "lr_too_high")
    assert "divide the learning rate by 10" not in lr
    assert failed_rates(out) == [3.0, 0.3]
    assert "the lowest rate tried, 0.3, still only reached 0.5" in lr
    assert suggested_rate(lr.split("suggestion:")[1]) == 0.03


def test_a_dead_relu_output_layer_is_blamed_on_the_output_activation(capsys):
    # nn.mlp's output takes --activation's ReLU under the squared error: it dies on digits
    # and on moons, and lowering the rate or leaky hidden units would not help it
    for argv in ([], ["--dataset", "moons"]):
        out = run(capsys, "diagnose", "--activation", "relu", "--init", "he_normal", *argv)
        dead = finding(out, "dead_units")
        assert "100.0% dead" in dead
        advice = dead.split("suggestion:")[1]
        assert advice.startswith(" the output layer's ReLU is the cause")
        assert "`--output-activation sigmoid`" in advice
        assert "`--loss softmax_cross_entropy`" in advice


def test_the_vanishing_gradients_advice_carries_a_rate_the_doctor_saw_work(capsys):
    out = run(capsys, "diagnose", "--sizes", "784,30,30,30,30,10")
    advice = finding(out, "vanishing_gradients").split("suggestion:")[1]
    flags = re.search(r"`(--activation relu[^`]*)`", advice).group(1).split()
    # the sigmoid output stays, and the rate is not SGD's usual 3, at which ReLU diverges
    assert flags == [
        *["--activation", "relu", "--output-activation", "sigmoid"],
        *["--init", "he_normal", "--lr", "0.3"],
    ]
    out = run(capsys, "diagnose", "--sizes", "784,30,30,30,30,10", *flags)
    assert "No problems found." in out, out


def test_the_probe_header_is_true_when_the_probe_stops_early(capsys):
    out = run(capsys, *DEEP_RELU, "--lr", "300", "--no-experiments")
    header = out.splitlines()[1]
    assert header.startswith("Probe: 3 of 300 steps of SGD(lr=300)"), header
    assert "(training diverged at step 4, where it stopped); measured at steps 0 and 1" in header
    out = run(capsys, "diagnose", "--steps", "1", "--every", "1", "--no-experiments")
    assert out.splitlines()[1].startswith("Probe: 1 step of SGD(lr=3)")
    assert "; measured every step on 500 probe examples." in out.splitlines()[1]


def test_a_model_without_a_recorded_dataset_is_told_which_datasets_fit(tmp_path, capsys):
    import nn

    path = str(tmp_path / "old_moons.npz")
    nn.mlp([2, 30, 1], seed=0).save(path)  # saved outside `nn train`: no dataset recorded
    for argv in (["diagnose", "--model", path], ["evaluate", path]):
        assert main(argv) == 2
        captured = capsys.readouterr()
        assert "Diagnosing" not in captured.out  # the check comes before any work
        assert "takes 2 inputs but digits examples have 784 features" in captured.err
        assert "give --dataset with a built-in dataset of 2 inputs: xor, moons" in captured.err
    assert main(["diagnose", "--model", path, "--dataset", "moons", "--steps", "20"]) in (0, 1)
    assert "on moons." in capsys.readouterr().out


def test_the_inputs_of_each_dataset_are_those_it_loads():
    from nn.cli.options import DATASET_INPUTS, DATASETS, load_dataset

    assert set(DATASET_INPUTS) == set(DATASETS)
    for name in ("digits", "xor", "moons", "circles", "spirals"):  # mnist's files may be absent
        (X, _), _ = load_dataset(name)
        assert X.shape[1] == DATASET_INPUTS[name], name
