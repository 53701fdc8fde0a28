"""Pure-Python simulation: scenario files, the seed-lifecycle simulator, signals and the governor."""
