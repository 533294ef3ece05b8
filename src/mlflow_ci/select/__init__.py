"""Selecting what goes to production: the gate, same-data evaluation, comparability and the decision."""
