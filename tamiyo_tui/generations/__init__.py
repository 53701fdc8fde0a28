"""Policy generations other than the one ``tamiyo_tui.policy`` speaks, one package each.

See ``docs/architecture.md`` ("Where a policy generation plugs in").
"""
