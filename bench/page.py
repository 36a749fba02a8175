"""The call page's weight: index.html and everything it loads, as served with gzip."""

from __future__ import annotations

import re
import tempfile
from importlib import resources
from pathlib import Path
from typing import Final
from urllib.parse import urljoin, urlsplit

from bench import http
from bench.errors import BenchError
from bench.report import Figure, Section
from bench.server import HOST, Launch, Server
from bench.wire import new_locator
from parlour.web import ROOT_FILES

# What a page loads without running script: src/href of any element but a link (<a> is a
# navigation, not a load), which covers stylesheets, scripts, images and SVG <use> sprites.
HTML_REFS: Final = re.compile(r"""<(?!a\b)\w+\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)""")
CSS_REFS: Final = re.compile(r"""url\(\s*["']?([^"')]+)""")
# What an ES module imports, statically or dynamically, and what it names relative to itself
# with new URL("...", import.meta.url), as qrcode.js names the QR encoder it imports when needed.
JS_IMPORTS: Final = re.compile(
    r"""(?:\bimport\s*(?:[\w*{}\s,]+\sfrom\s*)?|\bexport\s+[\w*{}\s,]+\sfrom\s*|\bimport\s*\(\s*"""
    r"""|\bnew\s+URL\(\s*(?=["'][^"']+["']\s*,\s*import\.meta\.url))"""
    r"""["']([^"']+)["']"""
)
MAX_FILES: Final = 200  # a page of more files than this is a finding in itself


def measure(launch: Launch) -> Section:
    with tempfile.TemporaryDirectory(prefix="parlour-bench-") as folder:
        server = Server(Path(folder), launch, open_rooms=False, locators=[new_locator()])
        try:
            sizes = _crawl(server)
            everything = _whole_folder(server)
            later = _on_demand(server)
        finally:
            server.stop()
    total = sum(sizes.values())
    listing = ", ".join(f"{name} {size:,} B" for name, size in sizes.items())
    unused = sorted(set(everything) - set(sizes))
    notes = [f"{len(sizes)} files the page loads, with Accept-Encoding: gzip: {listing}"]
    if unused:
        notes.append(f"in parlour/static but not found loaded by the page: {', '.join(unused)}")
    notes.append(
        "loaded only when needed (vendor/: noble-hashes on the first file transfer, lean-qr on "
        "the first QR code): " + ", ".join(f"{name} {size:,} B" for name, size in later.items())
    )
    whole = sum(everything.values()) + sum(later.values())
    notes.append(f"all of parlour/static, as served: {whole / 1000:.1f} KB gzip")
    return Section(
        "page",
        [
            Figure("call page, HTML+JS+CSS, gzip", "KB", (total / 1000,), 60.0),
            Figure(
                "vendor/, loaded only when needed, gzip", "KB", (sum(later.values()) / 1000,), None
            ),
        ],
        notes,
    )


def _fetch(server: Server, path: str) -> tuple[int, bytes]:
    """(bytes sent with gzip accepted, the plain body) of one file; anything but 200 breaks."""
    packed = http.get(HOST, server.port, path, gzip=True)
    plain = http.get(HOST, server.port, path)
    if packed.status != 200 or plain.status != 200:
        raise BenchError(f"the page loads {path}, which answered {packed.status}")
    # Counted as sent: gzip where the server gzips, the plain body where it does not.
    return len(packed.body), plain.body


def _name(server: Server, path: str) -> str:
    return "index.html" if path == server.page_path else Path(path).name


def _crawl(server: Server) -> dict[str, int]:
    """Every same-origin file the page loads, by file name -> its size as sent."""
    origin = f"http://{HOST}:{server.port}"
    sizes: dict[str, int] = {}
    seen: set[str] = set()
    queue = [origin + server.page_path]
    while queue and len(seen) < MAX_FILES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        path = urlsplit(url).path
        sizes[_name(server, path)], body = _fetch(server, path)
        text = body.decode("utf-8", "replace")
        if path.endswith(".js"):
            found = JS_IMPORTS.findall(text)
        elif path.endswith(".css"):
            found = CSS_REFS.findall(text)
        elif path == server.page_path:
            found = HTML_REFS.findall(text)
        else:
            found = []
        for ref in found:
            target = urljoin(url, ref).split("#")[0]
            if target.startswith(origin + server.base_path):
                queue.append(target)
    return sizes


def _on_demand(server: Server) -> dict[str, int]:
    """The vendored scripts (static/vendor/*/), which the page imports only when needed (a file
    transfer, a QR code) by an address the crawl cannot see: counted on their own here."""
    vendor = resources.files("parlour").joinpath("static", "vendor")
    sizes = {}
    for folder in sorted((e for e in vendor.iterdir() if e.is_dir()), key=lambda e: e.name):
        for entry in sorted(
            (e for e in folder.iterdir() if e.name.endswith((".js", ".mjs"))), key=lambda e: e.name
        ):
            path = f"{server.base_path}/static/vendor/{folder.name}/{entry.name}"
            sizes[f"{folder.name}/{entry.name}"] = _fetch(server, path)[0]
    return sizes


def _whole_folder(server: Server) -> dict[str, int]:
    static = resources.files("parlour").joinpath("static")
    names = sorted(e.name for e in static.iterdir() if e.is_file() and not e.name.startswith("."))
    sizes = {}
    for name in names:
        if name == "index.html":
            path = server.page_path
        elif name in ROOT_FILES:  # the manifest and the service worker, at the base path
            path = f"{server.base_path}/{name}"
        else:
            path = f"{server.base_path}/static/{name}"
        sizes[name] = _fetch(server, path)[0]
    return sizes
