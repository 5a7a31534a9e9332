"""Regenerate docs/cli/*.txt, the committed `--help` of every command (tests compare them)."""

from pathlib import Path

from typer.testing import CliRunner

from gamegan.cli import app

COMMANDS = [
    [],
    ["train"],
    ["generate"],
    ["presets"],
    ["data"],
    ["data", "download"],
    ["data", "inspect"],
    ["eval"],
    ["experiment"],
    ["export"],
    ["app"],
]

if __name__ == "__main__":
    here = Path(__file__).parent
    for words in COMMANDS:
        result = CliRunner().invoke(
            app, [*words, "--help"], terminal_width=100, env={"COLUMNS": "100"}
        )
        name = "-".join(["gamegan", *words]) + ".txt"
        (here / name).write_text(result.output)
        print("wrote", name)
