"""The torch layer: tensor masks, MaskedCategorical, features, the network, bundles, checkpoints.

Everything that imports torch lives in this package (and above it); ``domain``, ``rules`` and ``sim``
stay importable without it.
"""

# Importing the package registers the built-in bundles ("lstm", "heuristic") with the registry.
from tamiyo_tui.policy import heuristic_bundle, lstm_bundle  # noqa: F401
