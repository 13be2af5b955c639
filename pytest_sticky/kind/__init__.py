"""The ``kind`` cluster: a kind cluster with an ingress controller (ingress-nginx or Traefik)."""
