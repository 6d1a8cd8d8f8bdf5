"""The stages of a run, one module each, in the order data flows through them.

- :mod:`~recdistill.stages.data`: load and clean the sources, split, save;
- :mod:`~recdistill.stages.teacher`: the large model;
- :mod:`~recdistill.stages.students`: scratch and distilled students (and
  their quantized twins), from the teacher's cached or online outputs;
- :mod:`~recdistill.stages.baselines`: the classic models, tuned on validation;
- :mod:`~recdistill.stages.evaluation`: the step every model goes through
  (select on validation, test once, measure, save) and ``metrics.json``.

They share a :class:`Stage` (config, data views, run context, run folder);
:mod:`recdistill.pipeline` lists them for ``run`` and ``demo``. Every file of
the run folder is written and read through :class:`~recdistill.runfolder.RunFolder`.
"""

from recdistill.stages.context import Stage

__all__ = ["Stage"]
