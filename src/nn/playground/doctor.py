"""The doctor's findings for the page's current setup, in plain words.

:func:`nn.diagnose` trains copies of the network for a few hundred steps (and a few more when
the loss stalls, to try other learning rates), so it costs a fraction of a second: the page
asks for it with a button, never on every frame. The network on the page is not touched.
"""

from __future__ import annotations

import copy
from typing import Any

from nn.diagnostics.doctor import diagnose
from nn.diagnostics.findings.base import FINDINGS
from nn.diagnostics.measure import jsonable
from nn.playground.engine import Trainer

__all__ = ["ask_the_doctor"]


def ask_the_doctor(trainer: Trainer) -> dict[str, Any]:
    """Run :func:`nn.diagnose` on a copy of ``trainer``'s network, data and optimizer.

    Call it with a copy of the trainer's network and optimizer taken under the session's
    lock, or on a trainer no one else uses.

    Returns
    -------
    dict
        ``step`` (the network's step when asked), ``ok``, ``findings`` (each with ``id``,
        ``meaning``, ``evidence`` and ``suggestion``) and ``report``, the doctor's whole
        text as ``nn diagnose`` prints it.
    """
    s = trainer.settings
    report = diagnose(
        trainer.network,
        trainer.X,
        trainer.T,
        optimizer=copy.deepcopy(trainer.optimizer),
        batch_size=s.batch,
        steps=300,
        probe=(trainer.network.checked_inputs(trainer.data.X_test), _test_targets(trainer)),
        seed=s.seed,
        fresh=trainer.step == 0,
        init=s.init,
    )
    findings = [
        {"id": f.id, "meaning": FINDINGS[f.id], "evidence": f.evidence, "suggestion": f.suggestion}
        for f in report.findings
    ]
    return jsonable(
        {"step": trainer.step, "ok": report.ok, "findings": findings, "report": str(report)}
    )


def _test_targets(trainer: Trainer):
    X_test = trainer.data.X_test
    return trainer.network.checked_targets(trainer.data.Y_test, len(X_test))
