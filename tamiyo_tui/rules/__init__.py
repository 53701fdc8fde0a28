"""Pure-Python decision rules: the action-mask rule set (with reasons) and the heuristic controller."""
