"""Pure-Python contracts: stages, alpha, the factored action space, slots, observations, constants.

Nothing here imports torch or Textual. Every table lives in exactly one module of this package.
"""
