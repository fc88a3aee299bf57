"""Generate clerkmock/spec/index.json from the vendored Clerk OpenAPI specs.

The engine validates request parameters against Clerk's own spec (like stripe-mock), but parsing the
20k-line YAML costs ~0.35 s per version, too slow for start-up.  This script distils what the engine
needs -- operations, path templates, query/body parameter schemas with their $refs resolved -- into
one JSON file.  Run it after updating a vendored spec; `tests/test_spec_index.py` checks it is current.

    python tools/gen_spec_index.py            # rewrite the indexes
    python tools/gen_spec_index.py --check    # exit 1 if an index is stale

The Frontend API spec (``clerkmock/spec/fapi/2026-05-12.yml``) gets its own index, ``spec/fapi/index.json``, of the
same shape: FAPI bodies are form-urlencoded, and its paths keep their ``/v1`` (a few live outside it).

``clerkmock/spec/undocumented.yml`` (Backend API operations the SDKs call but the published spec leaves empty,
such as ``GET /clients/handshake_payload``) is indexed under the key ``undocumented`` of ``spec/index.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

SPEC_DIR = Path(__file__).resolve().parent.parent / "clerkmock" / "spec"
VERSIONS = ["2025-11-10", "2026-05-12"]
FAPI_VERSIONS = ["2026-05-12"]
METHODS = ("get", "post", "put", "patch", "delete")
# Operations Clerk's SDKs call that the published spec leaves empty (written by clerkmock; see the file).
UNDOCUMENTED = "undocumented.yml"
# Keys of a JSON schema the engine's validator understands; the rest (descriptions, examples) is dropped.
KEEP = {
    "type", "nullable", "enum", "items", "properties", "required", "additionalProperties",
    "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "format", "oneOf", "anyOf",
    "allOf", "default", "pattern",
}


def _clean_schema(spec: dict, schema) -> dict:
    """Resolve refs and keep only validation keywords (property names are always kept)."""
    schema = _deref(spec, schema)
    if not isinstance(schema, dict):
        return {}
    out: dict = {}
    for key, value in schema.items():
        if key == "properties":
            out["properties"] = {name: _clean_schema(spec, sub) for name, sub in value.items()}
        elif key == "items":
            out["items"] = _clean_schema(spec, value)
        elif key in ("oneOf", "anyOf", "allOf"):
            out[key] = [_clean_schema(spec, sub) for sub in value]
        elif key == "additionalProperties":
            out[key] = value if isinstance(value, bool) else _clean_schema(spec, value)
        elif key in KEEP:
            out[key] = value
    return out


def _deref(spec: dict, node, depth: int = 0):
    while isinstance(node, dict) and "$ref" in node and depth < 20:
        target = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node, depth = target, depth + 1
    return node


def build_version(spec: dict) -> list[dict]:
    ops = []
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [_deref(spec, p) for p in shared + op.get("parameters", [])]
            query = {
                p["name"]: {**_clean_schema(spec, p.get("schema", {})), **({"required": True} if p.get("required") else {})}
                for p in params if p.get("in") == "query"
            }
            body = None
            rb = _deref(spec, op.get("requestBody"))
            if rb:
                content = rb.get("content", {})
                ctype = next(iter(content), None)
                body = {
                    "content_type": ctype,
                    "required": bool(rb.get("required")),
                    "schema": _clean_schema(spec, content.get(ctype, {}).get("schema", {})) if ctype else {},
                }
            ops.append({
                "method": method.upper(),
                "path": path,
                "operation_id": op["operationId"],
                "tags": op.get("tags", []),
                "deprecated": bool(op.get("deprecated")),
                "query": query,
                "body": body,
                "public": op.get("security") == [],  # the spec's way of saying: no Authorization needed
                "success": sorted(c for c in op.get("responses", {}) if str(c).startswith("2")),
            })
    return ops


def _load(path: Path) -> dict:
    with open(path) as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def build(spec_dir: Path = SPEC_DIR, versions: list[str] = VERSIONS) -> dict:
    out: dict = {"versions": {}}
    specs = {version: _load(spec_dir / f"{version}.yml") for version in versions}
    for version, spec in specs.items():
        out["versions"][version] = build_version(spec)
    extra = spec_dir / UNDOCUMENTED
    if extra.exists():
        undocumented = _load(extra)
        for path in undocumented["paths"]:
            for version, spec in specs.items():
                if spec["paths"].get(path, {}) != {}:
                    raise SystemExit(f"{extra.name}: {path} is documented in {version}.yml now: drop it here")
        out["undocumented"] = build_version(undocumented)
    return out


def render(spec_dir: Path = SPEC_DIR, versions: list[str] = VERSIONS) -> str:
    return json.dumps(build(spec_dir, versions), sort_keys=True, separators=(",", ":")) + "\n"


def main() -> int:
    stale = False
    for spec_dir, versions in ((SPEC_DIR, VERSIONS), (SPEC_DIR / "fapi", FAPI_VERSIONS)):
        target = spec_dir / "index.json"
        text = render(spec_dir, versions)
        if "--check" in sys.argv:
            if not target.exists() or target.read_text() != text:
                print(f"{target} is stale: run python tools/gen_spec_index.py", file=sys.stderr)
                stale = True
            continue
        target.write_text(text)
        print(f"wrote {target} ({len(text)} bytes)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
