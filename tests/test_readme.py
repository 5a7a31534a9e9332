"""The README's two commands are what CI and a new user run: keep them in step."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands():
    return re.findall(r"```bash\n(python3 -m venv .*?)\n```", (ROOT / "README.md").read_text())


def test_readme_has_two_setup_commands():
    main_job, tests = readme_commands()
    assert "pip install torch==2.13.0" in main_job and "gamegan train" in main_job
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    (command,) = re.findall(r"TEST_COMMAND='(.*)'", ci)
    assert command == readme_commands()[1]


def test_main_job_preset_needs_no_download():
    from gamegan.presets import get_preset

    main_job = readme_commands()[0]
    preset = re.search(r"gamegan train (\S+)", main_job).group(1)
    data = re.search(r"gamegan train \S+ --data (\S+)", main_job)
    source = data.group(1) if data else get_preset(preset).data.source
    assert source in ("brick", "grass", "gravel")


def test_main_job_bundled_models_ship_with_the_package():
    from gamegan.generate import PRETRAINED, pretrained_path

    main_job = readme_commands()[0]
    used = re.findall(r"gamegan generate (\w+) ", main_job)
    assert used and set(used) <= set(PRETRAINED)
    for name in used:
        assert pretrained_path(name).stat().st_size < 8 * 2**20  # a few MB at most


def test_main_job_makes_the_folders_it_writes_into():
    """``gamegan generate`` does not make the folder of ``--out`` (a typo must not grow a
    tree of folders), so the main job makes each one first: a fresh clone has no ``out/``."""
    main_job = readme_commands()[0]
    made = set()
    for step in main_job.split(" && "):
        if step.startswith("mkdir"):
            made.update(step.split()[1:])
        out = re.search(r"^gamegan generate .*--out (\S+)", step)
        if out and "/" in out.group(1):
            folder = out.group(1).rsplit("/", 1)[0]
            assert folder in made, f"make {folder}/ before: {step}"


def test_install_notes_hold_on_any_machine():
    """torch==2.13.0 is the CPU wheel only on some mirrors: say how to get each build."""
    text = " ".join((ROOT / "README.md").read_text().split())
    assert "it is the CPU wheel" not in text
    assert "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in text
    assert "from PyPI on Linux it is the CUDA build" in text
    assert r"`.venv\Scripts\activate`" in text
    assert "gamegan --install-completion" in text
