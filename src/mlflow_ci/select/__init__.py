"""Choosing: the gate's checks and the frozen decisions (what registers and why, the step's Result)."""
