"""The torch layer: tensor masks, MaskedCategorical, features, the network, bundles, checkpoints.

Everything that imports torch lives in this package (and above it); ``domain``, ``rules`` and ``sim``
stay importable without it.
"""
