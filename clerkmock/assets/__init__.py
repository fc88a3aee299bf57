"""The browser bundles (clerk-js, @clerk/ui) served offline from npm tarballs in a per-user cache.

`cache` keeps and resolves them (`clerkmock assets fetch` fills it, or the server on first use), `npm` runs npm,
`serve` answers ``/__clerk/npm/…`` requests.  This is I/O: it lives beside the engine, not in it.
"""

from clerkmock.assets.cache import (
    DEFAULT_VERSIONS,
    ENV_CACHE_DIR,
    PACKAGES,
    AssetCache,
    AssetError,
    CachedPackage,
    default_cache_dir,
)

__all__ = [
    "DEFAULT_VERSIONS",
    "ENV_CACHE_DIR",
    "PACKAGES",
    "AssetCache",
    "AssetError",
    "CachedPackage",
    "default_cache_dir",
]
