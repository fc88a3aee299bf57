"""The offline bundle cache (clerkmock/assets/): resolution of versions and ranges, filling from npm on first use,
the clear error without cache and registry, and serving /__clerk/npm/… over real HTTP (headers, CORS, traversal,
journal).  npm itself is replaced by a fetcher that packs real tarballs; `clerkmock assets fetch` against the real
registry runs in .ci/run, and the browser tests load what it fetched."""

from __future__ import annotations

import io
import json
import os
import tarfile
import threading
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from clerkmock import ClerkMock
from clerkmock.assets import AssetCache, AssetError
from clerkmock.assets.npm import NpmError, Packed, pack
from clerkmock.assets.serve import parse
from clerkmock.cli import main


def _tarball(path: Path, name: str, version: str, files: dict[str, bytes], extra: dict[str, bytes] | None = None) -> None:
    with tarfile.open(path, "w:gz") as tar:
        entries = {"package/package.json": json.dumps({"name": name, "version": version}).encode(),
                   **{f"package/dist/{k}": v for k, v in files.items()}, **(extra or {})}
        for member, data in entries.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


class FakeRegistry:
    """Stands in for `npm pack`: knows some versions, resolves a spec like npm does (newest match), counts calls."""

    def __init__(self, versions: dict[str, list[str]]) -> None:
        self.versions = versions
        self.calls: list[str] = []
        self.down = False

    def __call__(self, name: str, spec: str, dest: Path) -> Packed:
        self.calls.append(f"{name}@{spec}")
        if self.down:
            raise NpmError("npm pack failed: code ECONNREFUSED")
        known = self.versions.get(name, [])
        match = [v for v in known if spec in ("latest", v) or v.split(".")[: spec.count(".") + 1] == spec.split(".")]
        if not match:
            raise NpmError(f"npm pack {name}@{spec} failed: code ETARGET")
        version = match[-1]
        tarball = dest / f"{name.replace('/', '-')}-{version}.tgz"
        _tarball(tarball, name, version, {"clerk.browser.js": f"/* {name} {version} */".encode(),
                                          f"chunk_{version}.js": b"chunk", "styles.css": b"a{}",
                                          "sub/x.json": b"{}"})
        return Packed(name, version, tarball)


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry({"@clerk/clerk-js": ["5.9.0", "6.39.1", "6.40.0", "7.0.0-beta.1"], "@clerk/ui": ["1.36.0"]})


@pytest.fixture
def cache(tmp_path: Path, registry: FakeRegistry) -> AssetCache:
    return AssetCache(tmp_path / "cache", fetcher=registry)


def test_ranges_resolve_to_the_newest_cached_version_of_that_major(cache: AssetCache, registry: FakeRegistry) -> None:
    for version in ("6.39.1", "5.9.0", "6.40.0", "7.0.0-beta.1"):
        cache.fetch("@clerk/clerk-js", version)
    assert cache.versions("@clerk/clerk-js") == ["5.9.0", "6.39.1", "6.40.0", "7.0.0-beta.1"]
    assert cache.resolve("@clerk/clerk-js", "6").version == "6.40.0"
    assert cache.resolve("@clerk/clerk-js", "6.39").version == "6.39.1"
    assert cache.resolve("@clerk/clerk-js", "5").version == "5.9.0"
    assert cache.resolve("@clerk/clerk-js", "latest").version == "6.40.0"  # a pre-release only by its name
    assert cache.resolve("@clerk/clerk-js", "7.0.0-beta.1").version == "7.0.0-beta.1"
    calls = len(registry.calls)
    cache.fetch("@clerk/clerk-js", "6.40.0")  # exact and cached: npm is not asked again
    assert len(registry.calls) == calls


def test_a_miss_is_filled_from_npm_once_and_failures_are_not_retried_at_once(
    cache: AssetCache, registry: FakeRegistry
) -> None:
    got = cache.resolve("@clerk/ui", "1")
    assert got.version == "1.36.0" and (got.dist / "clerk.browser.js").is_file()
    assert (cache.root / "@clerk/ui" / "1.36.0.tgz").is_file()  # the tarball is kept next to its unpacked dist/
    assert cache.resolve("@clerk/ui", "1.36.0").version == "1.36.0"
    assert registry.calls == ["@clerk/ui@1"]
    registry.down = True
    for _ in range(3):  # a page asks for many files at once: one npm attempt, then the remembered failure
        with pytest.raises(AssetError) as exc:
            cache.resolve("@clerk/clerk-js", "6")
    assert registry.calls == ["@clerk/ui@1", "@clerk/clerk-js@6"]
    assert exc.value.status == 503
    assert "ECONNREFUSED" in exc.value.message and "clerkmock assets fetch --clerk-js 6" in exc.value.message


def test_without_auto_fetch_a_miss_names_the_command(tmp_path: Path, registry: FakeRegistry) -> None:
    cache = AssetCache(tmp_path, auto_fetch=False, fetcher=registry)
    with pytest.raises(AssetError) as exc:
        cache.resolve("@clerk/ui", "1")
    assert exc.value.code == "asset_not_cached" and "run: clerkmock assets fetch --ui 1" in exc.value.message
    assert registry.calls == []


def test_concurrent_misses_pack_once(cache: AssetCache, registry: FakeRegistry) -> None:
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(cache.resolve("@clerk/clerk-js", "6").version))
               for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["6.40.0"] * 6 and registry.calls == ["@clerk/clerk-js@6"]


def test_a_tarball_cannot_write_outside_the_cache(tmp_path: Path) -> None:
    def evil(name: str, spec: str, dest: Path) -> Packed:
        tarball = dest / "evil.tgz"
        _tarball(tarball, name, "6.0.0", {"ok.js": b"1"}, {"package/dist/../../../escaped.js": b"x"})
        return Packed(name, "6.0.0", tarball)

    cache = AssetCache(tmp_path / "c", fetcher=evil)
    with pytest.raises(tarfile.OutsideDestinationError):
        cache.fetch("@clerk/clerk-js", "6.0.0")
    assert not list(tmp_path.rglob("escaped.js")) and cache.versions("@clerk/clerk-js") == []


def test_paths_outside_dist_are_refused() -> None:
    assert parse("/__clerk/npm/@clerk/clerk-js@6/dist/clerk.browser.js") == ("@clerk/clerk-js", "6", "clerk.browser.js")
    assert parse("/npm/@clerk/ui@1.36.0/dist/a/b.js").file == "a/b.js"
    for bad in ("/__clerk/npm/@clerk/clerk-js@6/dist/../package.json",
                "/__clerk/npm/@clerk/clerk-js@6/dist/%2e%2e/%2e%2e/etc/passwd",
                "/__clerk/npm/@clerk/clerk-js@6/dist/a/..%2F..%2Fx",
                "/__clerk/npm/@clerk/clerk-js@6/dist//etc/passwd",
                "/__clerk/npm/@clerk/clerk-js@6/dist/a%5C..%5Cb",
                "/__clerk/npm/@clerk/clerk-js@6/dist/a%00.js",
                "/__clerk/npm/@clerk/clerk-js@6/dist/%ff"):
        with pytest.raises(AssetError) as exc:
            parse(bad)
        assert exc.value.status == 400, bad
    for bad in ("/__clerk/npm/@clerk/clerk-js@6/package.json", "/__clerk/npm/react@18/dist/x.js"):
        with pytest.raises(AssetError) as exc:
            parse(bad)
        assert exc.value.status == 404
    with pytest.raises(AssetError) as exc:
        parse("/__clerk/npm/@clerk/clerk-js@^6.1/dist/x.js")
    assert exc.value.code == "asset_version_invalid"


@pytest.fixture
def served(cache: AssetCache, tmp_path: Path):  # type: ignore[no-untyped-def]
    with ClerkMock(port=0, config_dir=tmp_path / "cfg", cache_dir=tmp_path / "unused") as mock:
        mock.pipeline.assets = cache
        yield mock


def test_bundles_are_served_over_http_with_headers_for_script_loading(served: ClerkMock) -> None:
    base = served.url
    with httpx.Client(base_url=base) as http:
        r = http.get("/__clerk/npm/@clerk/clerk-js@6/dist/clerk.browser.js", headers={"origin": "http://localhost:3"})
        assert r.status_code == 200 and r.text == "/* @clerk/clerk-js 6.40.0 */"
        assert r.headers["content-type"] == "text/javascript; charset=utf-8"
        assert r.headers["access-control-allow-origin"] == "*"
        assert r.headers["cache-control"] == "no-cache"  # a range: a newer cached version shows at once
        assert r.headers["x-clerkmock-bundle"] == "@clerk/clerk-js@6.40.0"
        exact = http.get("/__clerk/npm/@clerk/clerk-js@6.40.0/dist/chunk_6.40.0.js")
        assert exact.status_code == 200 and "immutable" in exact.headers["cache-control"]
        again = http.get("/__clerk/npm/@clerk/clerk-js@6.40.0/dist/chunk_6.40.0.js",
                         headers={"if-none-match": exact.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
        assert http.get("/__clerk/npm/@clerk/clerk-js@6/dist/styles.css").headers["content-type"].startswith("text/css")
        assert http.get("/__clerk/npm/@clerk/clerk-js@6/dist/sub/x.json").status_code == 200
        head = http.head("/__clerk/npm/@clerk/ui@1/dist/clerk.browser.js")
        assert head.status_code == 200 and head.content == b""
        pre = http.options("/__clerk/npm/@clerk/ui@1/dist/clerk.browser.js",
                            headers={"origin": "http://localhost:3", "access-control-request-method": "GET"})
        assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "*"
        # the same files on the path clerk-js uses on a Frontend API host (proxy mode), not on the Backend API's
        assert http.get("/npm/@clerk/clerk-js@6/dist/clerk.browser.js").status_code == 200
        assert http.get("/npm/@clerk/clerk-js@6/dist/clerk.browser.js",
                        headers={"host": "api.clerk.com"}).status_code == 404

        missing = http.get("/__clerk/npm/@clerk/clerk-js@6/dist/nope.js")
        assert missing.status_code == 404 and "has no dist/nope.js" in missing.json()["errors"][0]["message"]
        for bad in ("/__clerk/npm/@clerk/clerk-js@6/dist/%2e%2e/package.json",
                    "/__clerk/npm/@clerk/clerk-js@6/dist/..%2f6.40.0.tgz"):
            r = http.get(bad)
            assert r.status_code == 400 and r.json()["errors"][0]["code"] == "asset_path_invalid"
        r = http.post("/__clerk/npm/@clerk/clerk-js@6/dist/clerk.browser.js")
        assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD, OPTIONS"

    entries = served.pipeline.journal.entries(path="assets.npm")
    assert entries and {e.route for e in entries} == {"assets.npm"}
    assert [e.status for e in entries[:3]] == [200, 200, 304] and entries[0].path.startswith("/__clerk/npm/")
    assert served.pipeline.journal.entries(path="/__clerk/npm/@clerk/clerk-js@6/dist/nope.js")[0].error_code == \
        "resource_not_found"


def test_no_cache_and_no_registry_gives_a_clear_error(tmp_path: Path) -> None:
    """The real npm, pointed at a closed loopback port: the request fails fast with the command to run."""
    if not _npm():
        pytest.skip("npm not installed")
    env = {"npm_config_registry": "http://127.0.0.1:9/", "npm_config_fetch_retries": "0",
           "npm_config_cache": str(tmp_path / "npm-cache"), "npm_config_offline": "false"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with ClerkMock(port=0, config_dir=tmp_path / "cfg", cache_dir=tmp_path / "empty") as mock:
            r = httpx.get(mock.url + "/__clerk/npm/@clerk/clerk-js@6/dist/clerk.browser.js", timeout=120)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert r.status_code == 503
    error = r.json()["errors"][0]
    assert error["code"] == "asset_not_cached"
    assert "npm pack @clerk/clerk-js@6 failed" in error["message"]
    assert "clerkmock assets fetch --clerk-js 6" in error["message"]


def test_npm_pack_reports_npm_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NpmError, match="npm is not installed"):
        pack("@clerk/clerk-js", "6", tmp_path)


def test_cli_fetch_and_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, registry: FakeRegistry) -> None:
    import clerkmock.assets.cache as cache_module

    monkeypatch.setattr(cache_module.npm, "pack", registry)
    monkeypatch.setenv("CLERKMOCK_CACHE_DIR", str(tmp_path))
    runner = CliRunner()
    out = runner.invoke(main, ["assets", "fetch", "--clerk-js", "6", "--ui", "1.36.0"])
    assert out.exit_code == 0, out.output
    assert "@clerk/clerk-js@6.40.0" in out.output and "@clerk/ui@1.36.0" in out.output
    listing = runner.invoke(main, ["assets", "list"])
    assert f"cache: {tmp_path / 'npm'}" in listing.output and "@clerk/clerk-js: 6.40.0" in listing.output
    bad = runner.invoke(main, ["assets", "fetch", "--clerk-js", "99", "--cache-dir", str(tmp_path / "o")])
    assert bad.exit_code == 1 and "cannot fetch @clerk/clerk-js@99" in bad.output and "ETARGET" in bad.output


def _npm() -> bool:
    import shutil

    return shutil.which("npm") is not None
