"""The web app: its handlers without a browser, then the real page in headless Chromium.

The handlers are called directly (files land in the output folder, bad input becomes gr.Error,
concurrent calls keep apart). The page is served on a free localhost port and driven with
Playwright through Debian's ``/usr/bin/chromium`` (never a downloaded browser); while it runs,
every host name this process looks up and every URL the browser asks for is recorded, and
the last test checks that all of them were local. GAMEGAN_SCREENSHOTS=1 also saves a picture
of each tab to docs/images/app/.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
import threading
import wave
import zipfile
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import ProxyHandler, Request, build_opener

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from conftest import TINY_DCGAN
from gamegan import api
from gamegan.io.midi import read_midi
from gamegan.io.png import read_png
from gamegan.io.terrain import read_raw
from musicfiles import write_chorale_folder

if importlib.util.find_spec("gradio") is None:
    pytest.skip("the app needs gradio (pip install gamegan[app])", allow_module_level=True)

from gamegan.app import gradio_app  # noqa: E402
from gamegan.app.gradio_app import GameganApp  # noqa: E402
from gamegan.app.safety import Outputs, refusal  # noqa: E402
from gamegan.cli import webapp  # noqa: E402

gr = gradio_app._gradio()  # as the app imports it: analytics off before Gradio loads

# Gradio's in-memory request statistics use a pandas option that pandas 3 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:::gradio.queueing")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "images" / "app"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0", ""}
TINY_LSTM = (
    "model.hidden=16",
    "model.n_layers=1",
    "model.dense=16",
    "model.embed_dims=(8, 4, 4)",
    "model.seq_len=16",
    "train.batch_size=4",
)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """Environment changes of the whole module, undone at its end (build() sets Gradio's)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GAMEGAN_CACHE", str(tmp_path_factory.mktemp("cache")))
        for name in ("GRADIO_TEMP_DIR", "GRADIO_EXAMPLES_CACHE"):
            mp.delenv(name, raising=False)
        yield mp


@pytest.fixture(scope="module")
def runs(env, tmp_path_factory, mnist_dir):
    """A tiny note-LSTM run (music) and a tiny DCGAN run (images), trained for a few steps."""
    root = tmp_path_factory.mktemp("runs")
    chorales = write_chorale_folder(root / "chorales", n=6, n_bars=8)
    lstm = api.train(
        "note-lstm",
        data=str(chorales),
        iterations=3,
        out=root / "00001-note-lstm",
        overrides=[*TINY_LSTM, "train.checkpoint_every=3", "train.sample_every=3"],
        progress=False,
        quiet=True,
    ).run_dir
    dcgan = api.train(
        "dcgan-mnist",
        data_dir=mnist_dir,
        iterations=2,
        out=root / "00002-dcgan-mnist",
        overrides=[*TINY_DCGAN, "train.checkpoint_every=2", "train.tensorboard=False"],
        progress=False,
        quiet=True,
    ).run_dir
    return {"music": lstm, "images": dcgan}


@pytest.fixture(scope="module")
def web(runs, tmp_path_factory):
    return GameganApp.from_runs([runs["music"], runs["images"]], out=tmp_path_factory.mktemp("out"))


def _key(web, label):
    return next(
        key
        for makes in ("textures", "music", "images")
        for name, key in web.choices(makes)
        if name == label
    )


# handlers


def test_texture_files_live_in_a_new_folder_of_the_output_folder(web):
    before = set(web.outputs.root.iterdir())
    texture, tiled, preview, normal, files, summary = web.texture_handler("brick", 5, 96, 64, True)
    folders = set(web.outputs.root.iterdir()) - before
    assert len(folders) == 1, "one request, one new subfolder"
    (folder,) = folders
    for path in [texture, tiled, preview, normal, *files]:
        assert Path(path).parent == folder and web.outputs.contains(path)
    assert read_png(texture).shape[:2] == (64, 96)
    assert read_png(tiled).shape[:2] == (128, 192)
    assert read_png(preview).dtype == np.uint8
    assert read_png(normal).shape == (64, 96, 3)
    height16 = next(p for p in files if p.endswith("-height.png"))
    raw = next(p for p in files if p.endswith(".raw"))
    samples = read_png(height16)
    assert samples.dtype == np.uint16 and samples.shape == (64, 96)
    np.testing.assert_array_equal(read_raw(raw, 96, 64), samples)
    assert "seed 5" in summary and "96x64" in summary
    again = web.texture_handler("brick", 5, 96, 64, True)
    assert Path(again[0]).parent != folder, "a repeated request gets its own folder"
    assert Path(again[0]).read_bytes() == Path(texture).read_bytes(), "same seed, same texture"


def test_morph_and_variations_from_the_texture_tab(web):
    from gamegan.generate import texture

    texture_path, *_, summary = web.texture_handler("gravel", 2, 96, 64, True, 7)
    assert "seeds 2 -> 7" in summary and "seed2-to-7" in Path(texture_path).name
    expected = gradio_app.gen.quantize(texture("gravel", width=96, height=64, seed=2, morph_to=7))
    assert np.array_equal(read_png(texture_path), expected)
    plain = web.texture_handler("gravel", 2, 96, 64, True, "")[0]  # a blank box: no morph
    assert not np.array_equal(read_png(plain), expected)
    with pytest.raises(gr.Error, match="morph-to seed"):
        web.texture_handler("gravel", 2, 96, 64, True, -3)
    sheet, note = web.variations_handler("gravel", 4, True)
    assert web.outputs.contains(sheet) and "seeds 4-12" in note
    assert read_png(sheet).shape == (8 + 3 * (192 + 8 + 16), 8 + 3 * (192 + 8), 3)
    truncated, *_, summary = web.texture_handler("gravel", 2, 96, 64, True, "", 0.5)
    expected = gradio_app.gen.quantize(
        texture("gravel", width=96, height=64, seed=2, truncation=0.5)
    )
    assert np.array_equal(read_png(truncated), expected) and "truncation 0.5" in summary
    with pytest.raises(gr.Error, match="truncation"):
        web.texture_handler("gravel", 2, 96, 64, True, "", 2)
    sheet, _ = web.variations_handler("gravel", 4, True, 0.5)
    first = gradio_app.gen.quantize(
        texture("gravel", width=192, height=192, seed=4, truncation=0.5)
    )
    assert np.array_equal(read_png(sheet)[8 : 8 + 192, 8 : 8 + 192, 0], first)


@pytest.mark.parametrize(
    "width, height, words",
    [
        (0, 64, "width"),
        (64, 99999, "height"),
        (12.5, 64, "whole number"),
        (None, 64, "nothing"),
        ("abc", 64, "width"),
    ],
)
def test_bad_texture_input_is_a_message(web, width, height, words):
    with pytest.raises(gr.Error, match=words):
        web.texture_handler("brick", 0, width, height, True)


def test_models_are_picked_by_key_never_by_path(web):
    with pytest.raises(gr.Error, match="pick a texture model"):
        web.texture_handler(str(gradio_app.gen.pretrained_path("brick")), 0, 64, 64, True)
    with pytest.raises(gr.Error, match="pick a music model"):
        web.music_handler("brick", 2, 1.0, 0, 0)
    with pytest.raises(gr.Error, match="bars"):
        web.music_handler(_key(web, "00001-note-lstm"), 0, 1.0, 0, 0)
    with pytest.raises(gr.Error, match="temperature"):
        web.music_handler(_key(web, "00001-note-lstm"), 2, -1, 0, 0)


def test_unexpected_failure_is_one_line_not_a_traceback(web, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("internal detail")

    monkeypatch.setattr(gradio_app.gen, "texture", broken)
    with pytest.raises(gr.Error) as info:
        web.texture_handler("brick", 0, 64, 64, True)
    assert "RuntimeError" in str(info.value) and "internal detail" not in str(info.value)


def test_music_gives_midi_wav_ogg_and_piano_roll(web):
    has_audio, why = gradio_app.audio_status()
    assert has_audio, why  # midirenderer and pretty_midi's soundfont are dependencies
    wav, roll, files, summary = web.music_handler(_key(web, "00001-note-lstm"), 2, 1.0, 5, 3)
    midi = next(p for p in files if p.endswith(".mid"))
    assert all(web.outputs.contains(p) for p in [roll, *files])
    assert read_midi(midi).n_bars <= 2
    assert read_png(roll).ndim == 3
    assert [Path(p).suffix for p in files] == [".mid", ".wav", ".ogg", ".png"]
    assert wav in files and web.outputs.contains(wav)
    with wave.open(wav) as w:
        assert w.getnframes() > 0


def test_music_tempo_key_mode_and_loop(web):
    wav, roll, files, summary = web.music_handler(
        _key(web, "00001-note-lstm"), 2, 1.0, 0, 3, 90, "A", "minor", True
    )
    piece = read_midi(next(p for p in files if p.endswith(".mid")))
    assert piece.tempo == 90 and piece.key.name == "A minor" and piece.loop_end == 8.0
    with wave.open(wav) as w:  # exactly two bars at 90 beats per minute
        assert w.getnframes() == round(8 * 60 / 90 * w.getframerate())
    with pytest.raises(gr.Error, match="key"):
        web.music_handler(_key(web, "00001-note-lstm"), 2, 1.0, 0, 3, 0, "H")


def test_music_without_a_synthesizer_still_gives_midi(web, monkeypatch):
    from gamegan.io import audio

    monkeypatch.setattr(audio, "available_backends", lambda: [])
    with pytest.warns(UserWarning, match="No audio"):  # a toast in the page
        wav, roll, files, summary = web.music_handler(_key(web, "00001-note-lstm"), 2, 1.0, 0, 1)
    assert wav is None and "No audio player" in summary and "fluidsynth" in summary.lower()
    assert [Path(p).suffix for p in files] == [".mid", ".png"]


def test_images_grid_and_zip(web):
    grid, files, summary = web.images_handler(_key(web, "00002-dcgan-mnist"), 7, 6)
    assert read_png(grid).shape[:2] == (2 * 28 + 3 * 2, 3 * 28 + 4 * 2)  # 2 rows x 3 columns
    with zipfile.ZipFile(files[1]) as zf:
        assert sorted(zf.namelist()) == [f"seed{s:06d}.png" for s in range(7, 13)]
    assert "seeds 7-12" in summary


def test_concurrent_requests_do_not_mix(web):
    jobs = [("texture", (seed, 48 + 16 * seed, 64)) for seed in range(4)]
    jobs += [("music", (seed,)) for seed in range(2)]
    results, errors = {}, []
    start = threading.Barrier(len(jobs))

    def run(i, kind, args):
        try:
            start.wait()
            if kind == "texture":
                seed, width, height = args
                results[i] = web.texture_handler("gravel", seed, width, height, True)
            else:
                results[i] = web.music_handler(_key(web, "00001-note-lstm"), 2, 1.0, 0, args[0])
        except Exception as err:  # reported below with its job
            errors.append((kind, args, err))

    threads = [threading.Thread(target=run, args=(i, *job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    folders = {Path(r[0] or r[1]).parent for r in results.values()}
    assert len(folders) == len(jobs), "every request wrote into its own folder"
    for i, (kind, args) in enumerate(jobs):
        if kind == "texture":
            seed, width, height = args
            assert read_png(results[i][0]).shape[:2] == (height, width)
            alone = web.texture_handler("gravel", seed, width, height, True)
            assert Path(alone[0]).read_bytes() == Path(results[i][0]).read_bytes()
        else:
            alone = web.music_handler(_key(web, "00001-note-lstm"), 2, 1.0, 0, args[0])
            assert read_midi(results[i][2][0]) == read_midi(alone[2][0])


def test_refusal_rules(tmp_path):
    root = tmp_path.resolve()
    (root / "a.png").write_bytes(b"x")
    assert refusal(f"/gradio_api/file={root}/a.png", root) is None
    assert refusal("/gradio_api/file=/etc/passwd", root)
    assert refusal(f"/gradio_api/file={root}/../../etc/passwd", root)
    assert refusal(f"/gradio_api/file/{root}/../x", root)
    assert refusal("/gradio_api/file=http://example.com/a.png", root)
    assert refusal("/gradio_api/proxy=https://example.com/", root)
    assert refusal("/gradio_api/upload", root)
    assert refusal("/", root) is None and refusal("/gradio_api/info", root) is None


def test_outputs_folder_must_be_a_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(gradio_app.ConfigError, match="not a folder"):
        Outputs(tmp_path / "file")
    first, second = Outputs(tmp_path / "o").new_folder("x"), Outputs(tmp_path / "o").new_folder("x")
    assert first != second


# command line


def _cli():
    app = typer.Typer(add_completion=False)
    app.callback()(lambda: None)  # keep "app" a sub-command, as in the real gamegan
    webapp.register(app)
    return app


def test_cli_refuses_bad_runs_before_serving(tmp_path, monkeypatch):
    def no_server(*args, **kwargs):
        raise AssertionError("the server must not start")

    monkeypatch.setattr(GameganApp, "launch", no_server)
    empty = tmp_path / "empty-run"
    empty.mkdir()
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "snapshot-000003.safetensors").write_bytes(b"not a safetensors file at all")
    runner = CliRunner()
    for bad, words in [
        (tmp_path / "missing", "no such run folder"),
        (empty, "no snapshot"),
        (corrupt, "snapshot-000003"),
    ]:
        result = runner.invoke(_cli(), ["app", str(bad), "--out", str(tmp_path / "o")])
        assert result.exit_code == 2, result.output
        assert result.output.startswith("error: ") and words in result.output, result.output
        assert "Traceback" not in result.output
    (tmp_path / "taken").write_text("x")
    result = runner.invoke(_cli(), ["app", "--out", str(tmp_path / "taken")])
    assert result.exit_code == 2 and "not a folder" in result.output


def test_cli_help_names_the_safety_defaults():
    result = CliRunner().invoke(_cli(), ["app", "--help"], terminal_width=100)
    assert result.exit_code == 0
    for words in ("127.0.0.1", "share link", "--out", "--concurrency"):
        assert words in result.output


SERVE = """
import sys
from gamegan.cli import app, main, webapp
if "app" not in [c.name for c in app.registered_commands]:
    webapp.register(app)
sys.argv = ["gamegan", *sys.argv[1:]]
main()
"""


def test_cli_serves_on_localhost_until_stopped(tmp_path):
    port = _free_port()
    out = tmp_path / "files"
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, "app", "--port", str(port), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("serving "):
                break
        assert lines and lines[-1].startswith(f"serving http://127.0.0.1:{port}"), lines
        base = f"http://127.0.0.1:{port}"
        assert _fetch(base + "/")[0] == 200
        assert _fetch(base + "/gradio_api/file=/etc/passwd")[0] == 403
    finally:
        proc.terminate()
        rest, _ = proc.communicate(timeout=30)
    log = "".join(lines) + rest
    assert f"output folder: {out.resolve()}" in log
    assert "share=True" not in log and "Traceback" not in log, log
    for words in ("resolve", "Name or service", "timed out", "api.gradio.app", "huggingface"):
        assert words not in log, log


# the page in a real browser


REQUESTED: list[str] = []  # every URL the browser asked for


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lookups():
    """Host names this process resolves while the page runs (there is no network here)."""
    seen = []
    real = socket.getaddrinfo

    def watched(host, *args, **kwargs):
        seen.append(host.decode() if isinstance(host, bytes) else str(host))
        return real(host, *args, **kwargs)

    socket.getaddrinfo = watched
    yield seen
    socket.getaddrinfo = real


@pytest.fixture(scope="module")
def served(web, lookups):
    page = web.launch(host="127.0.0.1", port=_free_port(), block=False, quiet=True)
    yield page
    page.close()


@pytest.fixture(scope="module")
def browser_page(served):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (Debian/Ubuntu: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page.set_default_timeout(60_000)
        page.on("request", lambda request: REQUESTED.append(request.url))
        page.goto(served.local_url)
        page.get_by_text("Generate texture").wait_for()
        yield page
        browser.close()


def _screenshots_on() -> bool:
    return os.environ.get("GAMEGAN_SCREENSHOTS") == "1"


def _screenshot(page, name):
    if _screenshots_on():
        from PIL import Image

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        page.screenshot(path=str(path), full_page=True)
        # 256 colours halve the committed file and look the same in the docs.
        picture = Image.open(path).convert("RGB")
        picture.quantize(256, Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            path, optimize=True
        )


def _pick(page, elem_id, label):
    page.locator(f"#{elem_id} input").click()
    page.get_by_role("option", name=label).click()


def _set_number(page, elem_id, value):
    page.locator(f"#{elem_id} input").fill(str(value))


def _file_path(src: str) -> str:
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(src).path).split("/gradio_api/file=", 1)[1]


def test_browser_generates_and_downloads_a_texture(browser_page, web, tmp_path):
    page = browser_page
    _pick(page, "texture-model", "grass (bundled)")
    _set_number(page, "texture-width", 160)
    _set_number(page, "texture-height", 96)
    page.locator("#texture-generate").click()
    image = page.locator("#texture-image img")
    image.wait_for()
    page.locator("#texture-tiled img").wait_for()
    page.locator("#texture-normal img").wait_for()
    page.wait_for_function("document.querySelector('#texture-image img').naturalWidth === 160")
    assert web.outputs.contains(_file_path(image.get_attribute("src")))
    page.get_by_text("seam score").wait_for()
    with page.expect_download() as download:
        page.locator('#texture-files a[download="grass-seed0-160x96.png"]').click()
    saved = tmp_path / "download.png"
    download.value.save_as(saved)
    assert saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert read_png(saved).shape[:2] == (96, 160)
    page.locator("#texture-morph-to textarea, #texture-morph-to input").first.fill("3")
    page.locator("#texture-generate").click()
    page.get_by_text("seeds 0 -> 3").wait_for()  # a morph from seed 0 to seed 3
    page.locator("#texture-morph-to textarea, #texture-morph-to input").first.fill("")
    if _screenshots_on():  # a size that shows the texture off
        _set_number(page, "texture-width", 512)
        _set_number(page, "texture-height", 384)
        page.locator("#texture-generate").click()
        page.wait_for_function("document.querySelector('#texture-image img').naturalWidth === 512")
        _screenshot(page, "textures.png")


def test_browser_shows_bad_sizes_and_keeps_serving(browser_page):
    page = browser_page
    _set_number(page, "texture-width", 99999)
    page.locator("#texture-generate").click()
    page.get_by_text("width: choose a whole number from 16 to 2048").first.wait_for()
    assert "Traceback" not in page.content()
    page.locator(".toast-close").first.click()  # keep it out of the screenshots
    _set_number(page, "texture-width", 64)
    _set_number(page, "texture-height", 64)
    page.locator("#texture-generate").click()
    page.wait_for_function("document.querySelector('#texture-image img').naturalWidth === 64")


def test_browser_plays_music(browser_page, web):
    page = browser_page
    page.get_by_role("tab", name="Music").click()
    # The tiny run is quick; a picture for the docs is worth the bundled model's few seconds.
    bundled = _screenshots_on() and "chorale-lstm" in web.models
    _pick(page, "music-model", "chorale-lstm (bundled)" if bundled else "00001-note-lstm")
    page.locator("#music-generate").click()
    page.locator("#music-roll img").wait_for()
    page.get_by_text("repeated-note ratio").wait_for()
    has_audio, _ = gradio_app.audio_status()
    if has_audio:
        # The player (wavesurfer) fetches the WAV and plays it from a blob URL.
        page.locator("#music-audio audio[src]").first.wait_for(state="attached")
        wav = [u for u in REQUESTED if u.endswith(".wav")]
        assert wav and web.outputs.contains(_file_path(wav[-1]))
        response = page.request.get(wav[-1])
        assert response.ok and response.body()[:4] == b"RIFF"
    else:
        page.get_by_text("No audio player").first.wait_for()
    page.locator("#music-files a[download$='.mid']").wait_for()
    _screenshot(page, "music.png")


def test_browser_shows_an_image_grid(browser_page):
    page = browser_page
    page.get_by_role("tab", name="Images").click()
    page.locator("#images-generate").click()
    page.locator("#images-grid img").wait_for()
    page.get_by_text("seeds 0-15").wait_for()
    _screenshot(page, "images.png")


def _fetch(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    """Status and body, straight to localhost (no proxy from the environment)."""
    try:
        with build_opener(ProxyHandler({})).open(Request(url, data=data), timeout=30) as r:
            return r.status, r.read()
    except HTTPError as err:
        return err.code, err.read()


def test_files_outside_the_output_folder_are_refused(served, web):
    base = served.local_url.rstrip("/")
    inside = web.texture_handler("brick", 1, 32, 32, True)[0]
    assert _fetch(f"{base}/gradio_api/file={inside}")[0] == 200
    for path in [
        "/gradio_api/file=/etc/passwd",
        f"/gradio_api/file={web.outputs.root}/../../../etc/passwd",
        "/gradio_api/file=%2Fetc%2Fpasswd",
        "/gradio_api/file/etc/passwd",
        f"/gradio_api/file={Path(gradio_app.__file__)}",
        "/gradio_api/file=http://example.com/x.png",
        "/gradio_api/proxy=http://example.com/x.png",
    ]:
        status, body = _fetch(base + path)
        assert status == 403, (path, status)
        assert b"root:" not in body


def test_uploads_are_refused(served):
    status, _ = _fetch(f"{served.local_url}gradio_api/upload", data=b"<script>1</script>")
    assert status == 403
    assert served.max_file_size == 1024 * 1024  # the limit behind the refusal


def test_a_huge_request_body_is_refused_with_413(served):
    import http.client
    from urllib.parse import urlparse

    from gamegan.app.safety import MAX_BODY

    # A declared length over the limit is refused before the body is read, so none is sent
    # (the server may close the connection while a client still sends it).
    url = urlparse(served.local_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.putrequest("POST", "/gradio_api/queue/join")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(MAX_BODY + 1))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413 and b"too large" in response.read()
    finally:
        connection.close()


def test_every_file_is_in_a_request_folder(served, web):
    entries = list(web.outputs.root.iterdir())
    assert entries
    for entry in entries:
        assert entry.is_dir() and re.fullmatch(
            r"\d{8}-\d{6}-(texture|variations|music|images)-\w+", entry.name
        )


def test_nothing_outside_localhost_was_contacted(served, lookups):
    # After the browser tests (file order): REQUESTED holds every URL the page asked for.
    base = served.local_url.rstrip("/")
    outside = [u for u in REQUESTED if not u.startswith((base, "data:", "blob:"))]
    assert not outside, outside
    assert not set(lookups) - LOCAL_HOSTS, set(lookups) - LOCAL_HOSTS
    assert served.share_url is None and served.share is False
    assert served.analytics_enabled is False and os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert served.server_name == "127.0.0.1"


def test_request_bodies_over_the_limit_get_413(tmp_path):
    import asyncio

    from gamegan.app.safety import BodyLimit

    reached = []

    async def inner(scope, receive, send):
        while True:
            message = await receive()
            if not message.get("more_body"):
                break
        reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    def call(headers, chunks):
        sent = []
        messages = [
            {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
            for i, c in enumerate(chunks)
        ]

        async def receive():
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/x", "headers": headers}
        # A thread of its own: Playwright's sync API may hold an event loop in this one.
        thread = threading.Thread(
            target=asyncio.run, args=(BodyLimit(inner, max_bytes=1000)(scope, receive, send),)
        )
        thread.start()
        thread.join()
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])

    assert call([(b"content-length", b"10")], [b"x" * 10]) == (200, b"ok")
    status, body = call([(b"content-length", b"200000000")], [b"x" * 10])
    assert status == 413 and b"at most" in body
    status, _ = call([], [b"x" * 600, b"x" * 600])  # chunked, no declared length
    assert status == 413
    assert reached == ["/x"]  # only the small request reached the app


def test_the_output_folder_is_pruned_by_age_and_size(tmp_path):
    import time

    outputs = Outputs(tmp_path / "out", max_bytes=3000, max_age=3600, keep_recent=60)
    now = time.time()

    def request_folder(name, age, size):
        folder = outputs.root / f"20261201-000000-texture-{name}"
        folder.mkdir()
        (folder / "tex.png").write_bytes(b"x" * size)
        os.utime(folder, (now - age, now - age))
        return folder

    stale = request_folder("stale", 7200, 10)  # older than max_age
    oldest = request_folder("oldest", 1800, 1500)
    older = request_folder("older", 1200, 1500)
    recent = request_folder("recent", 10, 1500)  # just made: kept whatever the size
    other = outputs.root / "examples"  # not a request folder: never touched
    other.mkdir()
    os.utime(other, (now - 99999, now - 99999))
    assert outputs.prune(now) == [stale, oldest]
    assert sorted(p.name for p in outputs.root.iterdir()) == sorted(
        [older.name, recent.name, "examples"]
    )
    # Each request prunes before it makes its folder.
    os.utime(older, (now - 7200, now - 7200))
    made = outputs.new_folder("music")
    assert not older.exists() and made.is_dir() and recent.is_dir()
