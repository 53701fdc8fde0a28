"""The main screen's panels. Each one renders a ``Frame`` it is given and never calls a policy."""
