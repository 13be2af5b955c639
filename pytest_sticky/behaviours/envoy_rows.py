"""Rows for Envoy and Gateway API session persistence (issue 11): the local Envoy modes and Envoy Gateway."""

from __future__ import annotations

from pytest_sticky.behaviours.model import AffinityBehaviour, AfterDeletion, SessionPersistenceBehaviour

ENVOY_GATEWAY_SOURCE = (
    "envoyproxy/gateway v1.9.0 internal/xds/translator/session_persistence.go (stateful_session cookie state: "
    "name, path from the route's path match l.117, ttl only when set l.122, strict unset = false); "
    "internal/gatewayapi/route.go:1168 (default name httproute-<ns>-<name>-rule-<i>), :1181-1188 (ttl only for "
    "Permanent with absoluteTimeout)"
)
ENVOY_RING_HASH_MEMBERSHIP = (
    "envoyproxy/envoy 0d2acde source/extensions/load_balancing_policies/ring_hash/ring_hash_lb.cc:146-148 "
    "(hashes per host = scale x the host's normalized weight: with N hosts each has ~min_ring_size/N points, "
    "so a host leaving or joining changes every other host's point count), :179-188 (each point is hashed "
    "from the host's address + '_' + i: a pod back on a new address takes new points); chooseHost :79-126 "
    "(the first point at or after the key's hash): a browser of a pod that stayed can land on another "
    "point's host when the ring is rebuilt"
)
ENVOY_RING_HASH_SOURCE = (
    "istio/istio pilot/pkg/networking/core/route/route.go consistentHashToHashPolicy (DestinationRule "
    "consistentHash.httpCookie{name,path,ttl} -> Envoy RING_HASH + route hash_policy cookie); "
    "envoyproxy/envoy api/envoy/config/route/v3/route_components.proto HashPolicy.Cookie (a cookie is "
    "generated only with a ttl, from the downstream address; ttl 0 = session cookie); the ring drops a dead host "
    "and the cookie stays"
)


def _envoy(
    implementation: str, source: str, *, after: AfterDeletion = "new-cookie", ring: bool = False
) -> AffinityBehaviour:
    """An Envoy row: the cookie's name and Path come from the route (its rule, its path match), HttpOnly,
    no Secure or SameSite of its own; a hash ring (``ring``) moves pins when the membership changes."""
    return AffinityBehaviour(
        implementation=implementation,
        default_cookie_name=None,  # Envoy Gateway derives it per route rule
        cookie_path=None,  # the route's path match
        http_only=True,
        secure_on_https=False,
        same_site=None,
        after_serving_pod_deleted=after,
        source=source,
        pins_survive_membership_change=not ring,
        sources={"pins_survive_membership_change": ENVOY_RING_HASH_MEMBERSHIP} if ring else {},
    )


ENVOY_ROWS: tuple[AffinityBehaviour, ...] = (
    _envoy("envoy", "Envoy stateful_session as " + ENVOY_GATEWAY_SOURCE),
    _envoy("envoy-gateway", ENVOY_GATEWAY_SOURCE),
    _envoy("envoy-ring-hash", ENVOY_RING_HASH_SOURCE, after="same-cookie", ring=True),
)

SESSION_PERSISTENCE_ROWS: tuple[SessionPersistenceBehaviour, ...] = (
    SessionPersistenceBehaviour(
        "envoy",
        weighted_backends_stick=True,  # one cluster, a locality per backendRef (cluster.go:1040-1056)
        header_issued=True,  # HeaderBasedSessionState writes the header with the host
        source=ENVOY_GATEWAY_SOURCE,
    ),
    SessionPersistenceBehaviour(
        "envoy-gateway", weighted_backends_stick=True, header_issued=True, source=ENVOY_GATEWAY_SOURCE
    ),
    SessionPersistenceBehaviour(
        "envoy-ring-hash",
        weighted_backends_stick=False,  # weighted_clusters pick the cluster before the hash applies
        header_issued=False,  # hash_policy header only reads a header the client sends
        source=ENVOY_RING_HASH_SOURCE,
    ),
)
