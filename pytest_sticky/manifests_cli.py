"""``python -m pytest_sticky manifests``: every object the plugin would apply, as one YAML stream.

For review and GitOps. The run namespace is random at test time (``sticky-<random>``); here it
is ``--namespace`` (default ``sticky-manifests``). Controllers the plugin installs from an
upstream manifest (ingress-nginx, Envoy Gateway, the Gateway API CRDs) are named in a comment
with their URL and pinned checksum, not reprinted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from pytest_sticky.app import AppSpec

INGRESSES = ("nginx", "traefik", "gateway", "none")
CLUSTERS = ("kind", "existing", "openshift")


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(
        prog="python -m pytest_sticky manifests",
        description="Print every Kubernetes object pytest-sticky would apply (a YAML stream).",
    )
    parse.add_argument("--cluster", choices=CLUSTERS, default="kind", help="cluster type (default: kind)")
    parse.add_argument(
        "--ingress", choices=INGRESSES, default=None, help="how the app is reached (default: nginx on kind, else none)"
    )
    parse.add_argument("--namespace", default="sticky-manifests", help="namespace of the app objects")
    parse.add_argument("--replicas", type=int, default=3, help="replicas of the demo app (default: 3)")
    parse.add_argument(
        "--gateway-schema",
        choices=("v1.6", "union"),
        default="v1.6",
        help="sessionPersistence shape of the HTTPRoute CRD (default: v1.6, the pinned v1.6.1 experimental CRD)",
    )
    return parse


Objects = list[dict[str, Any]]


class Reach:
    """What reaching the app adds: objects before the run's own (controllers), objects after, comments."""

    def __init__(self) -> None:
        self.before: Objects = []
        self.after: Objects = []
        self.comments: list[str] = []


def objects(args: argparse.Namespace) -> tuple[list[dict[str, Any]], list[str]]:
    """(objects, comments) for the arguments."""
    from pytest_sticky.providers import PROVIDERS

    ingress = args.ingress or PROVIDERS[args.cluster].default_ingress
    if args.cluster == "openshift" and ingress != "none":
        raise SystemExit("--ingress applies to kind and existing clusters; OpenShift apps get a Route")
    spec = AppSpec(name="hello", replicas=args.replicas)
    host = f"{spec.name}.{args.namespace}.sticky.test"
    reach = Reach()
    if args.cluster == "openshift":
        reach.after.append(_route(spec))
    elif ingress in ("nginx", "traefik"):
        _ingress(reach, args.cluster, ingress, spec, host)
    elif ingress == "gateway":
        _gateway(reach, args, spec, host)
    return [*reach.before, *_run_objects(args.namespace, spec), *reach.after], reach.comments


def _run_objects(namespace: str, spec: AppSpec) -> Objects:
    """The run's namespace, the demo app (memory and Redis stores), Redis and the in-cluster client."""
    from pytest_sticky.kube import manifests

    out: Objects = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": dict(_MANAGED_BY)}}
    ]
    images = manifests.Images()
    out += manifests.app_objects(
        name=spec.name, replicas=spec.replicas, store="memory", redis_addr="", images=images, grace_period=1
    )
    out += manifests.app_objects(
        name="hello-redis",
        replicas=spec.replicas,
        store="redis",
        redis_addr="<the redis Service's ClusterIP>:6379",
        images=images,
        grace_period=1,
    )
    out += manifests.redis_objects(images)
    out.append(manifests.client_pod(images))
    return out


def _route(spec: AppSpec) -> dict[str, Any]:
    """The app's OpenShift Route."""
    from pytest_sticky.openshift.cluster import cookie_name_for
    from pytest_sticky.openshift.routes import RouteSpec, render_route

    return render_route(
        RouteSpec(name=spec.name, service=spec.name, app=spec.name, cookie_name=cookie_name_for(spec.name))
    )


def _ingress(reach: Reach, cluster: str, ingress: str, spec: AppSpec, host: str) -> None:
    """The app's Ingress; on kind, the controller: ingress-nginx's upstream manifest named, Traefik's printed."""
    from pytest_sticky.kube import manifests

    reach.after += manifests.ingress_objects(
        name=spec.name, host=host, ingress_class="nginx", cookie_name="INGRESSCOOKIE", affinity_mode="balanced"
    )
    if cluster == "kind" and ingress == "nginx":
        from pytest_sticky.kind import ingress_nginx

        reach.comments.append(
            f"kind installs ingress-nginx from {ingress_nginx.MANIFEST_URL} (sha256 {ingress_nginx.MANIFEST_SHA256})"
        )
    elif cluster == "kind":
        from pytest_sticky.fixture_files import fixtures_dir
        from pytest_sticky.kube.install import parse_manifest

        path = fixtures_dir() / "ingress" / "traefik.yaml"
        reach.before += parse_manifest(path.read_text(), str(path))


def _gateway(reach: Reach, args: argparse.Namespace, spec: AppSpec, host: str) -> None:
    """The app's HTTPRoute; on kind, Envoy Gateway's install named and its GatewayClass and Gateway printed."""
    from pytest_sticky.gateway import httproute
    from pytest_sticky.gateway.route import single_rule

    if args.cluster == "kind":
        from pytest_sticky.kind import envoy_gateway

        reach.comments += envoy_gateway.describe_install()
        reach.before += [httproute.gateway_class(), httproute.gateway(envoy_gateway.GATEWAY_NAMESPACE)]
        gateway_namespace: str | None = envoy_gateway.GATEWAY_NAMESPACE
    else:
        reach.comments.append(
            "existing: the cluster's Gateway API CRDs, Envoy Gateway, GatewayClass and Gateway are used"
        )
        gateway_namespace = None
    route = single_rule(spec.name, spec.replicas)
    reach.after.append(
        httproute.httproute(
            route,
            namespace=args.namespace,
            hostname=host,
            schema=args.gateway_schema,
            gateway_namespace=gateway_namespace,
        )
    )


_MANAGED_BY = {"app.kubernetes.io/managed-by": "pytest-sticky"}


def main(argv: Sequence[str], stdout: TextIO = sys.stdout) -> int:
    import yaml

    args = parser().parse_args(argv)
    found, comments = objects(args)
    for comment in comments:
        stdout.write(f"# {comment}\n")
    stdout.write(yaml.safe_dump_all(found, sort_keys=False, explicit_start=True))
    return 0
