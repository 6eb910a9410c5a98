"""GitOps reconciler for the OpenAI platform: manifests in Git -> plan -> apply, and drift."""

__version__ = "0.1.0"
