"""JSON schemas for kubeconform, made offline: the built-in kinds from the real API server's OpenAPI
document, the custom resources from the chart's own CRDs.

kubeconform fetches its schemas from the internet by default, which an air-gapped machine cannot do,
and a schema of the server the chart is tested against is the right one anyway. Owns turning OpenAPI
definitions into standalone, strict JSON schemas (references inlined; objects refuse properties they
do not declare, as kubeconform's ``-strict`` schemas do) named the way ``SCHEMA_LOCATION`` finds them.
Must never loosen a schema beyond what the server itself accepts (nulls, int-or-string, quantities).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

#: kubeconform's template for a kind's schema file inside the schema folder.
SCHEMA_LOCATION = "{{ .ResourceKind }}-{{ .Group }}-{{ .ResourceAPIVersion }}.json"

INT_OR_STRING: dict[str, Any] = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
QUANTITY: dict[str, Any] = {"oneOf": [{"type": "string"}, {"type": "number"}]}


def schema_file(folder: Path, api_version: str, kind: str) -> Path:
    """Where kubeconform looks for ``kind`` of ``api_version`` (its Group is the part before '/')."""
    parts = api_version.split("/")
    return folder / f"{kind.lower()}-{parts[0]}-{parts[-1]}.json"


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    # The API server takes null for any optional field (and helm renders empty maps as null).
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    return schema


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    if "properties" in schema and "additionalProperties" not in schema:
        schema["additionalProperties"] = False
    return schema


class _OpenAPI:
    def __init__(self, definitions: Mapping[str, Any]) -> None:
        self.definitions = definitions

    def expand(self, node: Any, stack: tuple[str, ...] = ()) -> Any:
        if isinstance(node, list):
            return [self.expand(item, stack) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name.endswith(".Quantity"):
                return dict(QUANTITY)
            if name.endswith(".IntOrString"):
                return dict(INT_OR_STRING)
            if name in stack:  # JSONSchemaProps refers to itself: past one level, anything goes
                return {}
            return self.expand(self.definitions[name], (*stack, name))
        if node.get("format") == "int-or-string":
            return dict(INT_OR_STRING)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "properties":
                out[key] = {name: _nullable(self.expand(prop, stack)) for name, prop in value.items()}
            elif key in ("items", "additionalProperties", "allOf", "anyOf", "oneOf", "not"):
                out[key] = self.expand(value, stack)
            else:
                out[key] = value
        return _strict(out)


def write_builtin_schemas(openapi_v2: Mapping[str, Any], folder: Path) -> int:
    """A schema file per built-in kind of the server's ``/openapi/v2`` document; returns how many."""
    folder.mkdir(parents=True, exist_ok=True)
    definitions = openapi_v2["definitions"]
    resolver = _OpenAPI(definitions)
    count = 0
    for name, definition in definitions.items():
        for gvk in definition.get("x-kubernetes-group-version-kind", []):
            group, version, kind = gvk.get("group", ""), gvk["version"], gvk["kind"]
            api_version = f"{group}/{version}" if group else version
            schema = resolver.expand(definition, (name,))
            schema_file(folder, api_version, kind).write_text(json.dumps(schema))
            count += 1
    return count


def _crd_schema(node: Any) -> Any:
    if isinstance(node, list):
        return [_crd_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("x-kubernetes-int-or-string"):
        return dict(INT_OR_STRING)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {name: _crd_schema(prop) for name, prop in value.items()}
        elif key in ("items", "additionalProperties", "allOf", "anyOf", "oneOf", "not"):
            out[key] = _crd_schema(value)
        else:
            out[key] = value
    if node.get("x-kubernetes-preserve-unknown-fields"):
        return out
    return _strict(out)


def write_crd_schemas(crd_files: Iterable[Path], folder: Path) -> list[str]:
    """A schema file per served version of each CRD; returns the kinds written."""
    folder.mkdir(parents=True, exist_ok=True)
    kinds = []
    for path in crd_files:
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            for version in spec["versions"]:
                if not version.get("served", True):
                    continue
                schema = _crd_schema(version["schema"]["openAPIV3Schema"])
                properties = schema.setdefault("properties", {})
                properties.setdefault("apiVersion", {"type": "string"})
                properties.setdefault("kind", {"type": "string"})
                properties.setdefault("metadata", {"type": "object"})
                schema["additionalProperties"] = False
                api_version = f"{spec['group']}/{version['name']}"
                schema_file(folder, api_version, spec["names"]["kind"]).write_text(json.dumps(schema))
                kinds.append(f"{spec['names']['kind']} {api_version}")
    return kinds
