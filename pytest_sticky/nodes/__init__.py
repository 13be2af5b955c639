"""Helpers for providers whose nodes are containers (kind today; k3d would reuse them).

``engine.py`` (Docker, Podman or nerdctl), ``hostports.py`` (host ports for the node's 80/443),
``images.py`` (local images into the node), ``lease.py`` (the cluster's lock and who uses it),
``cache.py`` (the user's cache directory).
"""
