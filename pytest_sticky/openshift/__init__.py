"""The ``openshift`` cluster: the logged-in ``oc`` session, the app reached through Routes."""
