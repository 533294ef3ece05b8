"""Training inside the step: the user's train-command and the YAML sweep of scikit-learn models."""
