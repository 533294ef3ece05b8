"""The act workflow tests' fixtures (act, action_copy, venv_cache) live in tests/conftest.py: the backend
tests run act too, and one session must build the action's venv once for both."""
