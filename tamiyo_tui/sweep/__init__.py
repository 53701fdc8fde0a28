"""``tamiyo-tui sweep``: many episodes at once, one batched decision per epoch, and the decisions worth a look.

The batched machinery (vectorized features, the rule masks packed into one tensor, the fused one-step
forward, the packed host copy) lives here and nowhere else; its tests hold it equal to the readable path
in ``tamiyo_tui/policy``. ``docs/sweep.md`` describes the command, the findings and the file it writes.
"""
