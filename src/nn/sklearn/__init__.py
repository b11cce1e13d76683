"""scikit-learn estimators that train this library's networks: :class:`NNClassifier` and
:class:`NNRegressor`.

They take :class:`sklearn.neural_network.MLPClassifier`'s parameters under its names where
they mean the same thing (``hidden_layer_sizes``, ``activation``, ``solver``, ``alpha``,
``batch_size``, ``learning_rate_init``, ``max_iter``, ``tol``, ``n_iter_no_change``,
``early_stopping``, ``validation_fraction``, ``momentum``, ``beta_1``, ...), plus what only
this library has (the seed's squared-error network, the initializers, dropout, float32), and
leave the same fitted attributes in scikit-learn's layouts (``coefs_``, ``intercepts_``,
``loss_curve_``, ``n_iter_``, ``classes_``, ...), so they work in a ``Pipeline``,
``GridSearchCV`` or ``cross_val_score``::

    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from nn.sklearn import NNClassifier

    model = make_pipeline(StandardScaler(), NNClassifier(hidden_layer_sizes=(64,)))
    search = GridSearchCV(model, {"nnclassifier__alpha": [1e-4, 1e-2]}, cv=3)
    search.fit(X, y)

The fitted network is ``network_`` (an :class:`nn.Network`): the diagnostics, the doctor and
the exporters take it as it is. scikit-learn is an optional dependency
(``pip install "nn[sklearn]"``); ``import nn`` never loads this package.
"""

from __future__ import annotations

from nn.sklearn.estimators import NNClassifier, NNRegressor

__all__ = ["NNClassifier", "NNRegressor"]
