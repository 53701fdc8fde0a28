"""Training and judging policies offline: heuristic rollouts, behaviour cloning, and agreement reports.

This layer sits beside the session (it drives ``InspectionSession`` headless) and imports torch; nothing
in the inspector imports it, so the TUI never pays for it.
"""
