"""The ``local`` cluster: app replicas as local processes behind a real cookie-affinity proxy."""
