"""The pinned HTTPRoute CRD (Gateway API v1.6.1, experimental channel): fetched, checked, and used as a schema.

Rendered HTTPRoutes are validated against its ``openAPIV3Schema`` with ``jsonschema``, strictly:
an object schema that lists ``properties`` (and does not preserve unknown fields) rejects any
other field, as ``kubectl apply --validate=strict`` does. The CRD's CEL rules
(``x-kubernetes-validations``) are not evaluated here; the API server evaluates them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_sticky.downloads import cached_or_fetched, download
from pytest_sticky.downloads import sha256 as _sha256
from pytest_sticky.errors import SetupError

TAG = "v1.6.1"
CRD_URL = (
    f"https://raw.githubusercontent.com/kubernetes-sigs/gateway-api/{TAG}/"
    "config/crd/experimental/gateway.networking.k8s.io_httproutes.yaml"
)
CRD_SHA256 = "a3615d380381a768edbca2cfec067c037afa82e86bc9b1e29a0b84c8a28d76b3"
DOWNLOAD_TIMEOUT = 30.0


def cached_crd_path() -> Path:
    from pytest_sticky.nodes.cache import cache_dir

    return cache_dir("gateway-api") / f"{TAG}-experimental-httproutes.yaml"


def fetch_crd(url: str | None = None) -> str:
    """The pinned CRD's text: from the cache when its checksum holds, else downloaded, checked, cached."""
    source = url or CRD_URL

    def fetch() -> bytes:
        response = download(
            source,
            what=f"the HTTPRoute CRD from {source}",
            phase=f"downloading the Gateway API {TAG} HTTPRoute CRD",
            timeout=DOWNLOAD_TIMEOUT,
        )
        got = _sha256(response.content)
        if got != CRD_SHA256:
            raise SetupError(
                f"refusing the HTTPRoute CRD from {source}: sha256 {got}, expected {CRD_SHA256} (Gateway API {TAG}, "
                "experimental channel). It was changed or corrupted on the way"
            )
        return response.content

    return cached_or_fetched(cached_crd_path(), CRD_SHA256, fetch)


def load_crd(text: str) -> dict[str, Any]:
    import yaml

    crd: dict[str, Any] = yaml.safe_load(text)
    if crd.get("kind") != "CustomResourceDefinition" or crd["spec"]["names"]["kind"] != "HTTPRoute":
        raise SetupError("not the HTTPRoute CustomResourceDefinition")
    return crd


def strict(schema: Any) -> Any:
    """``schema`` with ``additionalProperties: false`` wherever an object lists its properties."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) for k, v in schema.items()}
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def validation_errors(obj: dict[str, Any], crd: dict[str, Any]) -> list[str]:
    """Why ``obj`` does not fit the CRD's schema for its apiVersion ([] when it does)."""
    from jsonschema import Draft4Validator

    group = crd["spec"]["group"]
    version = obj.get("apiVersion", "").removeprefix(group + "/")
    served = {v["name"]: v for v in crd["spec"]["versions"] if v.get("served")}
    if version not in served:
        return [f"apiVersion {obj.get('apiVersion')!r} is not served (served: {sorted(served)})"]
    schema = strict(served[version]["schema"]["openAPIV3Schema"])
    schema["properties"]["metadata"] = {"type": "object"}
    validator = Draft4Validator(schema)
    return [
        f"{'.'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))
    ]
