"""Snapshots to formats that run without gamegan: ``export.onnx`` for game engines and runtimes.

Nothing is imported here, so ``import gamegan.export`` stays cheap; onnx and onnxruntime are
loaded by the functions that use them.
"""
