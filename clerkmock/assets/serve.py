"""Serving the cached bundles: ``/__clerk/npm/@clerk/clerk-js@<version|range>/dist/<file>`` (and ``/npm/…``, the
path clerk-js uses on a Frontend API host) as static files a page loads with ``<script src>`` and chunk imports.

Ranges answer with ``Cache-Control: no-cache`` and an ETag naming the version they resolved to (a newer cached
version shows at once); exact versions are immutable.  Any origin may load them (they are public files), and no
path leaves the package's ``dist/`` directory.
"""

from __future__ import annotations

import mimetypes
import re
from typing import NamedTuple
from urllib.parse import unquote

from clerkmock.assets.cache import AssetCache, AssetError, check_spec
from clerkmock.engine.jsonio import dumps
from clerkmock.engine.types import JSON_CONTENT_TYPE, Request, Response

ROUTE = "assets.npm"  # the route name journal entries and fault rules see
PREFIXES = ("/__clerk/npm/", "/npm/")
BACKEND_API_HOSTS = ("api.clerk.com", "api.clerk.dev")  # the real ones have no /npm/: neither do we there
_PATH = re.compile(r"^/(?:__clerk/)?npm/(@clerk/[a-z0-9-]+)@([^/]+)/dist/(.+)$")
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".cjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".ts": "text/plain; charset=utf-8",  # declaration files (.d.ts): for reading, never executed
    ".wasm": "application/wasm",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
}
_PUBLIC = {
    "access-control-allow-origin": "*",
    "cross-origin-resource-policy": "cross-origin",  # pages with COEP may load them too
    "x-content-type-options": "nosniff",
}


class AssetPath(NamedTuple):
    package: str
    spec: str
    file: str  # under dist/, "/"-separated, checked


def is_asset_request(request: Request) -> bool:
    """Cheap test for the pipeline's hot path: does this request ask for a bundle file?"""
    path = request.path
    if path.startswith("/__clerk/npm/"):
        return True
    if not path.startswith("/npm/"):
        return False
    host = (request.headers.get("host") or "").split(":", 1)[0].lower()
    return host not in BACKEND_API_HOSTS


def parse(raw_path: str) -> AssetPath:
    """The package, version spec and file of a bundle path, or an `AssetError` (400/404) for anything that is
    not a plain file under dist/ (``..``, ``.``, empty segments, backslashes, NUL — encoded or not)."""
    try:
        path = unquote(raw_path, errors="strict")
    except UnicodeDecodeError:
        raise AssetError(400, "asset_path_invalid", "the path is not valid percent-encoded UTF-8") from None
    m = _PATH.match(path)
    if m is None:
        raise AssetError(404, "resource_not_found",
                         "not a bundle path: expected /__clerk/npm/@clerk/<clerk-js|ui>@<version>/dist/<file>")
    package, spec, file = m.groups()
    segments = file.split("/")
    if any(s in ("", ".", "..") or "\\" in s or "\0" in s for s in segments):
        raise AssetError(400, "asset_path_invalid", f"{file!r} is not a file path under dist/")
    return AssetPath(package, check_spec(spec), file)


def serve(cache: AssetCache, request: Request) -> Response:
    """Answer one bundle request (may run npm on a cache miss: call it off the event loop)."""
    if request.method == "OPTIONS":
        return Response(204, b"", {**_PUBLIC, "access-control-allow-methods": "GET, HEAD, OPTIONS",
                                   "access-control-allow-headers": request.headers.get(
                                       "access-control-request-headers", "*"),
                                   "access-control-max-age": "86400"})
    if request.method not in ("GET", "HEAD"):
        return _error(AssetError(405, "method_not_allowed", f"{request.method} is not allowed on bundle files"),
                      {"allow": "GET, HEAD, OPTIONS"})
    try:
        asset = parse(request.path)
        package = cache.resolve(asset.package, asset.spec)
        dist = package.dist.resolve()
        target = (dist / asset.file).resolve()
        # resolve() follows symlinks: the unpacked tree has none leaving dist/, but check rather than trust.
        if not target.is_relative_to(dist) or not target.is_file():
            raise AssetError(404, "resource_not_found",
                             f"{package.name}@{package.version} has no dist/{asset.file}")
        etag = f'"{package.name}@{package.version}/{asset.file}"'
        exact = asset.spec == package.version
        headers = {
            **_PUBLIC,
            "content-type": _content_type(asset.file),
            "cache-control": "public, max-age=31536000, immutable" if exact else "no-cache",
            "etag": etag,
            "x-clerkmock-bundle": f"{package.name}@{package.version}",
        }
        if etag in (request.headers.get("if-none-match") or ""):
            return Response(304, b"", headers)
        body = target.read_bytes() if request.method == "GET" else b""
        return Response(200, body, headers)
    except AssetError as exc:
        return _error(exc)
    except OSError as exc:  # the cache changed under us, or its permissions are wrong
        return _error(AssetError(500, "asset_unreadable", f"cannot read {request.path}: {exc.strerror}"))


def _content_type(file: str) -> str:
    dot = file.rfind(".")
    ext = file[dot:].lower() if dot >= 0 else ""
    return _TYPES.get(ext) or mimetypes.guess_type(file)[0] or "application/octet-stream"


def _error(exc: AssetError, extra: dict[str, str] | None = None) -> Response:
    """Clerk's error envelope, so a client's error parser copes; the message names what to do."""
    body = dumps({"errors": [{"code": exc.code, "message": exc.message, "long_message": exc.message, "meta": {}}],
                  "meta": {}})
    response = Response(exc.status, body, {**_PUBLIC, "content-type": JSON_CONTENT_TYPE, **(extra or {})})
    response.meta["error_code"] = exc.code
    return response
