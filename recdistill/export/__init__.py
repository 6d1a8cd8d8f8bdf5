"""Exporting a trained model for serving stacks other than ``recdistill serve``.

``recdistill export RUN_DIR --format onnx --out DIR`` writes the run's served
student (or ``--model NAME``) as ONNX graphs plus the catalogue they index
(:mod:`recdistill.export.onnx`).
"""
