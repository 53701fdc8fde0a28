"""The heuristic of the 2016337e generation: 60205274's rules with the three the reference changed.

It waits when no enabled slot is free ("No available slots") before looking for a plateau; it does not
fossilize a HOLDING seed before its counterfactual is measured ("Awaiting counterfactual contribution
before fossilization"); and when every blueprint is penalised it keeps rotating through them, least
penalised first, instead of always taking the least penalised.
"""

from __future__ import annotations

from tamiyo_tui.rules.heuristic import HeuristicTamiyo


class HeuristicTamiyo2016337e(HeuristicTamiyo):
    waits_without_free_slot = True
    fossilizes_without_counterfactual = False
    rotates_when_all_penalised = True
