"""Feature scaling: statistics from the training set only, and folding into a dense layer."""

from __future__ import annotations

import numpy as np
import pytest

import nn


def test_standardizer_uses_training_statistics_on_other_data():
    X = np.array([[1.0, 10.0, 5.0], [3.0, 30.0, 5.0]])  # means 2, 20, 5; stds 1, 10, 0
    s = nn.Standardizer().fit(X)
    np.testing.assert_allclose(s.transform(X), [[-1, -1, 0], [1, 1, 0]])
    # a constant training feature keeps scale 1; test values use the training statistics
    np.testing.assert_allclose(s.transform(np.array([[4.0, 0.0, 7.0]])), [[2, -2, 2]])


def test_standardizer_gives_mean_0_std_1_per_feature_or_overall():
    X = np.random.default_rng(0).normal(3, 2, size=(500, 4)) * [1, 10, 100, 0.1]
    Z = nn.Standardizer().fit_transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1, rtol=1e-12)
    G = nn.Standardizer(per_feature=False).fit_transform(X)
    assert G.mean() == pytest.approx(0, abs=1e-12) and G.std() == pytest.approx(1, rel=1e-12)
    assert G.std(axis=0)[2] > 10 * G.std(axis=0)[0]  # relative scales between columns kept


def test_min_max_scaler():
    X = np.array([[0.0, -1.0], [2.0, 1.0], [1.0, 0.0]])
    m = nn.MinMaxScaler().fit(X)
    np.testing.assert_allclose(m.transform(X), [[0, 0], [1, 1], [0.5, 0.5]])
    np.testing.assert_allclose(m.transform(np.array([[4.0, -3.0]])), [[2, -1]])


def test_transform_keeps_float32_and_checks_its_input():
    X = np.random.default_rng(0).random((10, 3)).astype(np.float32)
    s = nn.Standardizer().fit(X)
    assert s.transform(X).dtype == np.float32
    with pytest.raises(ValueError, match="fitted on 3 features"):
        s.transform(np.zeros((2, 4)))
    with pytest.raises(RuntimeError, match="fit"):
        nn.MinMaxScaler().transform(X)


@pytest.mark.parametrize("scaler", [nn.Standardizer(), nn.Standardizer(False), nn.MinMaxScaler()])
def test_folding_the_scaler_into_the_first_layer_gives_the_same_network(scaler):
    rng = np.random.default_rng(1)
    X = rng.normal(5, 3, size=(20, 6))
    net = nn.mlp([6, 5, 3], "tanh", "softmax_cross_entropy", seed=0, dtype=np.float64)
    scaled_out = net.predict(scaler.fit_transform(X))
    W = net.layers[0].W
    scaler.fold_into(net.layers[0])
    assert net.layers[0].W is W  # changed in place
    np.testing.assert_allclose(net.predict(X), scaled_out, rtol=1e-12)
