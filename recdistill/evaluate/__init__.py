"""Evaluation: metrics, the full-ranking protocol, efficiency figures."""

from recdistill.evaluate.efficiency import Efficiency, measure, measure_latency
from recdistill.evaluate.metrics import ACCURACY, GROUPS, MetricAccumulator, per_user_metrics
from recdistill.evaluate.protocol import EvalTask, evaluate
from recdistill.evaluate.ranks import pad_targets, target_ranks

__all__ = [
    "ACCURACY",
    "GROUPS",
    "Efficiency",
    "EvalTask",
    "MetricAccumulator",
    "evaluate",
    "measure",
    "measure_latency",
    "pad_targets",
    "per_user_metrics",
    "target_ranks",
]
