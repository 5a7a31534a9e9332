"""The app's safety rules: what it serves, how much a request may send, and how long its
output lives. Independent of Gradio, so they are tested without a browser."""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gamegan.errors import ConfigError

log = logging.getLogger("gamegan.app")

MAX_UPLOAD = "1mb"  # the page takes no uploads and refuses the route; a second line of defence
QUEUE_SIZE = 32  # waiting requests beyond this are turned away instead of piling up
MAX_BODY = 2 * 1024 * 1024  # bytes of one request body: the page's own requests are a few kB
# The output folder is pruned at each request: request folders older than MAX_OUTPUT_AGE
# seconds go, then the oldest until the whole holds at most MAX_OUTPUT_BYTES. A folder younger
# than KEEP_RECENT seconds is never removed, so a page can still fetch what it just made.
MAX_OUTPUT_BYTES = 500 * 1024 * 1024
MAX_OUTPUT_AGE = 24 * 3600
KEEP_RECENT = 10 * 60

# Gradio routes that fetch from other hosts, or serve features this app does not use (uploads
# would land outside any request folder).
REFUSED_ROUTES = (
    "/gradio_api/upload",
    "/gradio_api/proxy=",
    "/gradio_api/run-history",
    "/gradio_api/vibe",
    "/gradio_api/undo-vibe",
    "/gradio_api/process_recording",
)
FILE_ROUTES = ("/gradio_api/file=", "/gradio_api/file/")


class Outputs:
    """The one folder the app writes to and serves from, with a new subfolder per request.

    Parameters
    ----------
    root : path, optional
        The folder (created if missing). Default: a new temporary folder.
    """

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        *,
        max_bytes: int = MAX_OUTPUT_BYTES,
        max_age: float = MAX_OUTPUT_AGE,
        keep_recent: float = KEEP_RECENT,
    ) -> None:
        self.max_bytes, self.max_age, self.keep_recent = max_bytes, max_age, keep_recent
        if root is None:
            root = tempfile.mkdtemp(prefix="gamegan-app-")
        path = Path(root).expanduser()
        if path.exists() and not path.is_dir():
            raise ConfigError(f"--out {root}: exists and is not a folder")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ConfigError(f"--out {root}: cannot create the folder ({err})") from None
        self.root = path.resolve()

    def new_folder(self, what: str) -> Path:
        """A new, empty subfolder, made atomically by ``mkdtemp``: no two requests share one.

        The output folder is pruned first (:meth:`prune`).
        """
        self.prune()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return Path(tempfile.mkdtemp(prefix=f"{stamp}-{what}-", dir=self.root))

    def prune(self, now: float | None = None) -> list[Path]:
        """Remove old request folders; returns those removed.

        Only the request folders this class makes (``DATE-TIME-WHAT-XXXX``) are touched:
        those older than ``max_age`` seconds, then the oldest until all of them together hold
        at most ``max_bytes``. Folders younger than ``keep_recent`` seconds always stay.
        """
        now = time.time() if now is None else now
        folders = []
        for child in self.root.iterdir():
            if _REQUEST_FOLDER.match(child.name) and child.is_dir() and not child.is_symlink():
                try:
                    folders.append((child.stat().st_mtime, child, _folder_bytes(child)))
                except OSError:  # removed meanwhile by another request's prune
                    continue
        folders.sort()
        removed = []
        total = sum(size for _, _, size in folders)
        for mtime, folder, size in folders:
            age = now - mtime
            if age < self.keep_recent:
                break  # sorted by age: every later folder is younger still
            if age > self.max_age or total > self.max_bytes:
                shutil.rmtree(folder, ignore_errors=True)
                total -= size
                removed.append(folder)
        if removed:
            log.info("pruned %d old request folder(s) from %s", len(removed), self.root)
        return removed

    def contains(self, path: str | os.PathLike) -> bool:
        """Whether ``path`` (resolved, links followed) lies inside the output folder."""
        return Path(path).resolve().is_relative_to(self.root)


_REQUEST_FOLDER = re.compile(r"^\d{8}-\d{6}-[a-z]+-[^/]+$")


def scan_inputs(folder: str | os.PathLike) -> dict[str, Path]:
    """The image files of a folder (recursively) by their path inside it, for the page's
    input list; a clear error for a missing or empty folder."""
    from gamegan.data.image_folder import scan_files

    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"--inputs {folder}: no such folder")
    files, _ = scan_files(folder)
    if not files:
        raise ConfigError(f"--inputs {folder}: no image files in it")
    return {f.relative_to(folder).as_posix(): f for f in files}


def _folder_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
        except OSError:
            continue
    return total


def refusal(url_path: str, root: Path) -> str | None:
    """Why a request path must be refused, or None. ``url_path`` is percent-decoded.

    File URLs must name a file inside ``root`` (relative names resolve against the working
    folder, as Gradio resolves them); URLs of other hosts and the routes in
    :data:`REFUSED_ROUTES` are refused outright.
    """
    if url_path.startswith(REFUSED_ROUTES):
        return "this gamegan app does not offer that route"
    for prefix in FILE_ROUTES:
        if url_path.startswith(prefix):
            target = url_path[len(prefix) :]
            if "://" in target or target.startswith("//") or re.match(r"^[a-z]+:", target):
                return "this gamegan app serves no other hosts' files"
            try:
                inside = Path(target).resolve().is_relative_to(root)
            except (OSError, ValueError):
                inside = False
            return None if inside else "this gamegan app serves only its output folder"
    return None


class OutputOnly:
    """ASGI middleware that answers 403 to every request :func:`refusal` refuses.

    Gradio's own checks already refuse paths outside ``allowed_paths``; this guard does not
    depend on them, and also closes its routes that would fetch URLs from other hosts.
    """

    def __init__(self, app: Any, root: str | os.PathLike) -> None:
        self.app = app
        self.root = Path(root).resolve()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http":
            reason = refusal(scope.get("path", ""), self.root)
            if reason is not None:
                from starlette.responses import PlainTextResponse

                await PlainTextResponse(reason, status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware that answers 413 to a request whose body exceeds ``max_bytes``.

    A declared ``Content-Length`` over the limit is refused before anything is read; a body
    sent without one (chunked) is counted as it arrives and refused when it passes the limit.
    """

    def __init__(self, app: Any, max_bytes: int = MAX_BODY) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name.lower() == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._refuse(scope, receive, send)
                    return
        seen = 0
        started = False

        async def counted_receive() -> dict:
            nonlocal seen
            message = await receive()
            if message.get("type") == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracked_send(message: dict) -> None:
            nonlocal started
            if message.get("type") == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: dict, receive: Callable, send: Callable) -> None:
        from starlette.responses import PlainTextResponse

        limit = f"{self.max_bytes / 2**20:g} MB"
        await PlainTextResponse(
            f"request body too large: this gamegan app takes at most {limit}", status_code=413
        )(scope, receive, send)
