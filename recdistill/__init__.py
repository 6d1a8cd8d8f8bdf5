"""recdistill: knowledge distillation for recommendation.

Public surface: the data layer (:mod:`recdistill.data`), splits
(:mod:`recdistill.split`), the model contract and models
(:mod:`recdistill.models`), evaluation (:mod:`recdistill.evaluate`) and the
pipeline that wires them (:mod:`recdistill.pipeline`).
"""

__version__ = "0.1.0"
