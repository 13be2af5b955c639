"""How the tests reach an app on Kubernetes: one module per way in, each behind :class:`Exposure`.

- :mod:`.service`: the app's Service (NodePort on this machine, else its ClusterIP): no cookie affinity;
- :mod:`.ingress`: an Ingress of a known controller (ingress-nginx, or Traefik's NGINX provider);
- :mod:`.discovered`: an Ingress of the class an existing cluster offers, used if it answers,
  else the Service, with the reason said;
- :mod:`.gateway`: a Gateway API HTTPRoute with ``sessionPersistence`` on a Gateway.

Every exposure returns one :class:`~.base.Exposed` (URL, headers, cookie name, the behaviour row
it is judged by, how it was reached); :func:`.choose.exposure_for` is the one place that picks
an exposure from the settings. OpenShift Routes are exposed by :mod:`pytest_sticky.openshift.routes`.
"""

from pytest_sticky.exposures.base import Exposed, Exposure, Target

__all__ = ["Exposed", "Exposure", "Target"]
