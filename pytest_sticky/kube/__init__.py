"""Kubernetes: connecting safely, deploying the demo app, waiting on watches, diagnostics.

Written against APIs that Kubernetes 1.20 and current releases both serve (core/v1 Pods,
Services, Endpoints, Events; apps/v1 StatefulSet and Deployment; networking.k8s.io/v1 Ingress).
"""
