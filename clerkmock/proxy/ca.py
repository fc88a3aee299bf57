"""clerkmock's certificate authority: created once in the config dir, trusted by apps that use the proxy.

mitmproxy's own layout is kept (``confdir``), so its `tlsconfig` addon finds the CA without further options:

* ``mitmproxy-ca.pem`` - private key + certificate (mode 0600: whoever holds it can impersonate any host to
  an app that trusts the CA), ``mitmproxy-ca.p12`` - the same as PKCS#12 (0600);
* ``mitmproxy-ca-cert.pem`` - the certificate apps trust (``NODE_EXTRA_CA_CERTS``, ``curl --cacert``);
* ``clerkmock-ca-bundle.pem`` - the system's root certificates plus ours, for ``SSL_CERT_FILE`` /
  ``REQUESTS_CA_BUNDLE``: those *replace* the trust store, so an app that also reaches real HTTPS hosts (via
  ``--passthrough`` or ``NO_PROXY``) still needs the usual roots.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from clerkmock.config import config_dir as resolve_config_dir

BASENAME = "mitmproxy"  # mitmproxy's tlsconfig looks for <confdir>/mitmproxy-ca.pem
KEY_SIZE = 2048
BUNDLE_FILE = "clerkmock-ca-bundle.pem"
PRIVATE_FILES = (f"{BASENAME}-ca.pem", f"{BASENAME}-ca.p12")  # the ones holding the private key


@dataclass(frozen=True, slots=True)
class CAFiles:
    cert: Path  # the CA certificate (PEM) to trust
    key: Path  # private key + certificate, 0600
    bundle: Path  # system roots + the CA certificate

    @property
    def confdir(self) -> Path:
        return self.cert.parent


def ca_files(config_dir: str | os.PathLike[str] | None = None) -> CAFiles:
    """Where the CA files are (or will be), without creating anything."""
    d = resolve_config_dir(config_dir)
    return CAFiles(cert=d / f"{BASENAME}-ca-cert.pem", key=d / f"{BASENAME}-ca.pem", bundle=d / BUNDLE_FILE)


def ensure_ca(config_dir: str | os.PathLike[str] | None = None) -> CAFiles:
    """Create the CA on first use (once: later calls reuse it), enforce 0600 on its private key, and keep the
    combined bundle up to date with the system roots."""
    files = ca_files(config_dir)
    files.confdir.mkdir(parents=True, exist_ok=True)
    if not files.key.exists() or not files.cert.exists():
        with _lock(files.confdir / ".ca.lock"):  # two processes starting at once must not both create one
            if not files.key.exists() or not files.cert.exists():
                from mitmproxy.certs import CertStore  # ~0.2 s; only on first use

                CertStore.create_store(files.confdir, BASENAME, KEY_SIZE, organization="clerkmock", cn="clerkmock CA")
    for name in PRIVATE_FILES:  # mitmproxy writes them under umask 077; a copied-in CA may be looser
        path = files.confdir / name
        if path.exists() and path.stat().st_mode & 0o077:
            path.chmod(0o600)
    _write_bundle(files)
    return files


def system_roots() -> Path | None:
    """The system's CA bundle (what OpenSSL trusts by default), else certifi's."""
    cafile = ssl.get_default_verify_paths().cafile
    if cafile and Path(cafile).is_file():
        return Path(cafile)
    for candidate in ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"):
        if Path(candidate).is_file():
            return Path(candidate)
    with contextlib.suppress(ImportError):
        import certifi

        return Path(certifi.where())
    return None


def _write_bundle(files: CAFiles) -> None:
    roots = system_roots()
    ours = files.cert.read_bytes()
    body = (roots.read_bytes().rstrip(b"\n") + b"\n" if roots else b"") + b"# clerkmock CA\n" + ours
    if files.bundle.exists() and files.bundle.read_bytes() == body:
        return
    tmp = files.bundle.with_name(f".{files.bundle.name}.{os.getpid()}")
    tmp.write_bytes(body)
    tmp.replace(files.bundle)  # atomic: a reader never sees half a bundle


@contextlib.contextmanager
def _lock(path: Path):  # type: ignore[no-untyped-def]
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
