"""Distillation losses: pure tensor-level methods, one file each, and the mixer.

Public surface:

- :class:`KDInputs` - one batch of ``N`` positions: student logits ``N x I``,
  targets, the teacher's top-``M`` (ids, logits) and logsumexp, optional full
  teacher logits, representations, popularity and history mask;
- :class:`KDMethod` - a loss: ``forward(inp, generator) -> N`` per-position losses;
- :data:`METHODS` / :func:`build_method` - the registry by name:
  ``soft``, ``hard``, ``listwise``, ``rd``, ``cd``, ``derrd``, ``hint``;
- :class:`KDMixer` / :class:`KDMixerConfig` - ``(1 - a) * L_true + a * sum_m w_m L_m``
  with a schedule for ``a`` and optional adaptive per-example weights;
- :func:`build_teacher_cache` / :class:`TeacherCache` - the teacher's top-``M``
  per training position, on disk (offline teacher);
- :class:`Distillation` - the teacher handle a student gets in
  ``FitOptions.distill`` (cache or online teacher + mixer config).

Formulas, references and differences from public code: ``docs/methods.md``.
"""

from recdistill.distill import cd, derrd, hard, hint, listwise, rd, soft
from recdistill.distill.base import METHODS, KDInputs, KDMethod, build_method
from recdistill.distill.distiller import Distillation, KDTrainer
from recdistill.distill.mixer import KDMixer, KDMixerConfig
from recdistill.distill.teacher_cache import TeacherCache, build_teacher_cache

__all__ = [
    "METHODS",
    "Distillation",
    "KDInputs",
    "KDMethod",
    "KDMixer",
    "KDMixerConfig",
    "KDTrainer",
    "TeacherCache",
    "build_method",
    "build_teacher_cache",
    "cd",
    "derrd",
    "hard",
    "hint",
    "listwise",
    "rd",
    "soft",
]
