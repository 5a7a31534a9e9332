"""Classical, training-free texture synthesis that the texture models are measured against.

``quilting``: image quilting (Efros & Freeman 2001). The modules need only numpy and scipy
and are imported by name (``from gamegan.baselines import quilting``); importing this package
imports nothing else.
"""
