"""``python -m gamegan`` runs the command-line interface."""

from gamegan.cli import main

main()
