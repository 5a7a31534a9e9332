"""gamegan: game content with generative adversarial networks.

Importing the package is cheap: it pulls in no torch, no data and no CLI code.
"""

__version__ = "0.1.0"
