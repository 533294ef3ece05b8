"""MLflow: the client and its errors, the best-run search, the registry, the tags the action writes, UI links."""
