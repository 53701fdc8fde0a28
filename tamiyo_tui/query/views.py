"""The ``decisions`` view: one row per decision, over this tool's records and esper-lite's telemetry alike.

Its columns take the names of the ``decisions`` view that esper-lite's analysis layer (Karn) defines over
telemetry wherever the two overlap (``env_id``, ``episode_idx``, ``inner_epoch``, ``action_name``,
``action_confidence``, ``head_op_entropy`` …), so a query written against one runs on the other. Columns
only one side has are NULL on the other: telemetry has no ``step``, ``branch`` or ``policy``; a record has
no ``total_reward``, ``event_id`` or ``timestamp``. docs/query.md lists them.

How a record's numbers map onto telemetry's meaning:
- ``action_confidence`` / ``head_<head>_confidence``: the probability of the chosen option;
- ``head_<head>_entropy``: the normalized entropy over the valid options (telemetry's ``head_telemetry``);
- ``decision_entropy``: the op head's raw entropy in nats (the normalized one × ln(valid options)), as
  telemetry records it;
- ``<head>_masked``: "forced", one valid option left, the meaning those flags have at esper-lite 2016337e;
- ``blueprint_id``: the blueprint's name in lower case (telemetry's spelling); ``alpha_target`` its value;
  ``tempo_idx`` the option's index. A record names every head's option; telemetry leaves those of the heads
  the op does not use NULL.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import duckdb

from tamiyo_tui.domain.actions import HEAD_NAMES, AlphaTargetAction
from tamiyo_tui.errors import InputError
from tamiyo_tui.generations.esper_2016337e.telemetry_names import DECISION_EVENT, DECISION_KIND, head_telemetry_name
from tamiyo_tui.query.sources import Sources
from tamiyo_tui.sim.scenario import ESPER_2016337E_LIFECYCLE

TELEMETRY_GENERATION = ESPER_2016337E_LIFECYCLE  # the generation whose telemetry the tool reads
# The columns an export partitions by: each one's type, and the column it follows in the view.
PARTITION_COLUMNS = {"run": ("VARCHAR", "source"), "episode_idx": ("INTEGER", "env_id")}


def open_decisions(sources: Sources) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the ``decisions`` view over ``sources``.

    A line that is not JSON is left out of the view and named on stderr with its number (one line per file),
    so a truncated or corrupted line never stops a query and never goes unnoticed.
    """
    connection = duckdb.connect(":memory:")
    for path in (*sources.records, *sources.telemetry):
        bad = malformed_lines(connection, path)
        if bad:
            listed = ", ".join(map(str, bad[:10])) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
            print(f"tamiyo-tui: {path}: {len(bad)} malformed line(s) left out: {listed}", file=sys.stderr)
    parts = []
    if sources.records:
        parts.append(_records_select(sources.records))
    if sources.telemetry:
        parts.append(_telemetry_select(sources.telemetry))
    if sources.parquet:
        parts.append(_parquet_select(connection, sources.parquet))
    connection.execute("CREATE VIEW decisions AS " + "\nUNION ALL BY NAME\n".join(parts))
    return connection


def _lines(paths: Sequence[str]) -> str:
    """Each file's lines as text, one VARCHAR column (a delimiter that never occurs in a JSON line)."""
    return (
        f"read_csv({_files(paths)}, columns = {{'column0': 'VARCHAR'}}, header = false, delim = chr(1), "
        "quote = '', escape = '', auto_detect = false, filename = true)"
    )


def _json_lines(paths: Sequence[str]) -> str:
    """(filename, json) for every line of ``paths`` that is JSON: what ``read_ndjson_objects`` gives, except
    that a malformed line is left out (``malformed_lines`` names it) instead of failing the whole query."""
    return (
        f"(SELECT filename, column0::JSON AS json FROM {_lines(paths)} "
        "WHERE column0 IS NOT NULL AND trim(column0) <> '' AND json_valid(column0))"
    )


def malformed_lines(connection: duckdb.DuckDBPyConnection, path: str) -> list[int]:
    """The numbers (1-based) of the lines of ``path`` that are not JSON; blank lines are not counted."""
    rows = connection.execute(f"""
        SELECT line FROM (SELECT row_number() OVER () AS line, column0 FROM {_lines([path])})
        WHERE column0 IS NOT NULL AND trim(column0) <> '' AND NOT json_valid(column0) ORDER BY line""").fetchall()
    return [line for (line,) in rows]


def _files(paths: Sequence[str]) -> str:
    return "[" + ", ".join("'" + path.replace("'", "''") + "'" for path in paths) + "]"


def _head_columns(confidence: str, entropy: str, forced: str) -> str:
    """The per-head columns, from three expression templates taking ``{head}`` (and ``{key}``)."""
    columns = []
    for head in HEAD_NAMES:
        key = head_telemetry_name(head)
        columns += [
            f"{forced.format(head=head, key=key)} AS {head}_masked",
            f"{confidence.format(head=head, key=key)} AS head_{head}_confidence",
            f"{entropy.format(head=head, key=key)} AS head_{head}_entropy",
        ]
    return ",\n    ".join(columns)


def _records_select(paths: Sequence[str]) -> str:
    chosen = "list_position(CAST(line->'$.heads.{head}.options' AS VARCHAR[]), line->>'$.heads.{head}.chosen')"
    confidence = "list_extract(CAST(line->'$.heads.{head}.probs' AS DOUBLE[]), " + chosen + ")"
    targets = " ".join(f"WHEN '{member.name}' THEN {member.to_target()}" for member in AlphaTargetAction)
    op_entropy = "(line->>'$.heads.op.entropy')::DOUBLE"
    op_valid = "(line->>'$.heads.op.valid_count')::INTEGER"
    return f"""
SELECT
    'tamiyo-tui' AS source, parse_filename(file, true) AS run, file, NULL::VARCHAR AS run_dir,
    NULL::VARCHAR AS group_id, NULL::VARCHAR AS event_id, NULL::VARCHAR AS timestamp,
    0 AS env_id, 0 AS episode_idx, (line->>'$.epoch')::INTEGER AS inner_epoch,
    (line->>'$.step')::INTEGER AS step, (line->>'$.branch')::INTEGER AS branch,
    headers.policy, headers.generation,
    line->>'$.action.op' AS action_name, (line->>'$.outcome.accepted')::BOOLEAN AS action_success,
    NULL::DOUBLE AS total_reward, (line->>'$.value')::DOUBLE AS value_estimate,
    {confidence.format(head="op")} AS action_confidence,
    CASE WHEN {op_valid} > 1 THEN {op_entropy} * ln({op_valid}) ELSE 0.0 END AS decision_entropy,
    line->>'$.action.slot' AS slot_id, lower(line->>'$.action.blueprint') AS blueprint_id,
    line->>'$.action.style' AS style, {chosen.format(head="tempo")} - 1 AS tempo_idx,
    CASE line->>'$.action.alpha_target' {targets} END AS alpha_target,
    line->>'$.action.alpha_speed' AS alpha_speed, line->>'$.action.alpha_curve' AS alpha_curve,
    {
        _head_columns(
            confidence,
            "(line->>'$.heads.{head}.entropy')::DOUBLE",
            "(line->>'$.heads.{head}.valid_count')::INTEGER = 1",
        )
    }
FROM (SELECT filename AS file, json AS line FROM {_json_lines(paths)})
JOIN (
    SELECT filename AS file, json->>'$.policy_id' AS policy, json->>'$.generation' AS generation
    FROM {_json_lines(paths)}
    WHERE json->>'$.type' = 'header'
) AS headers USING (file)
WHERE line->>'$.type' = 'decision'
"""


def _telemetry_select(paths: Sequence[str]) -> str:
    data = "line->>'$.data.{name}'"
    field = data.format
    return f"""
SELECT
    'esper-lite' AS source, coalesce(nullif(run_dir, ''), 'telemetry') AS run, file, run_dir,
    line->>'$.group_id' AS group_id, line->>'$.event_id' AS event_id, line->>'$.timestamp' AS timestamp,
    ({field(name="env_id")})::INTEGER AS env_id, ({field(name="episode_idx")})::INTEGER AS episode_idx,
    ({field(name="inner_epoch")})::INTEGER AS inner_epoch, NULL::INTEGER AS step, NULL::INTEGER AS branch,
    NULL::VARCHAR AS policy, '{TELEMETRY_GENERATION}' AS generation,
    {field(name="action_name")} AS action_name, ({field(name="action_success")})::BOOLEAN AS action_success,
    ({field(name="total_reward")})::DOUBLE AS total_reward, ({field(name="value_estimate")})::DOUBLE AS value_estimate,
    ({field(name="action_confidence")})::DOUBLE AS action_confidence,
    -- written as a string (a numpy float through json.dumps(default=str))
    TRY_CAST({field(name="decision_entropy")} AS DOUBLE) AS decision_entropy,
    {field(name="slot_id")} AS slot_id, {field(name="blueprint_id")} AS blueprint_id, {field(name="style")} AS style,
    ({field(name="tempo_idx")})::INTEGER AS tempo_idx, ({field(name="alpha_target")})::DOUBLE AS alpha_target,
    {field(name="alpha_speed")} AS alpha_speed, {field(name="alpha_curve")} AS alpha_curve,
    {
        _head_columns(
            "(line->>'$.data.head_telemetry.{key}_confidence')::DOUBLE",
            "(line->>'$.data.head_telemetry.{key}_entropy')::DOUBLE",
            "(line->>'$.data.{head}_masked')::BOOLEAN",
        )
    }
FROM (
    SELECT filename AS file, json AS line, regexp_extract(filename, '([^/\\\\]+)[/\\\\]events\\.jsonl$', 1) AS run_dir
    FROM {_json_lines(paths)}
)
WHERE line->>'$.event_type' = '{DECISION_EVENT}' AND line->>'$.data.kind' = '{DECISION_KIND}'
"""


def parquet_glob(folder: str) -> str:
    """Every Parquet file of an export, at any depth: the partitions are folders ``run=…/episode_idx=…``."""
    return folder.rstrip("/\\") + "/**/*.parquet"


def _parquet_select(connection: duckdb.DuckDBPyConnection, folders: Sequence[str]) -> str:
    """An export of this view (``tamiyo-tui export --parquet``) read back as the same view: same names, types
    and order. The partition columns live in the folder names, not the files: their types are pinned (a run
    named ``2026`` stays text) and each is put back where the view has it, since Hive columns come last."""
    types = ", ".join(f"'{name}': {kind}" for name, (kind, _) in PARTITION_COLUMNS.items())
    globs = _files([parquet_glob(folder) for folder in folders])
    parquet = f"read_parquet({globs}, hive_partitioning = true, hive_types = {{{types}}}, union_by_name = true)"
    try:
        stored = connection.execute(f"DESCRIBE SELECT * FROM {parquet}").fetchall()
    except duckdb.Error as error:
        raise InputError("Parquet: " + "; ".join(str(error).splitlines())) from None
    columns = [name for name, *_ in stored if name not in PARTITION_COLUMNS]
    for name, (_, after) in PARTITION_COLUMNS.items():
        columns.insert(columns.index(after) + 1 if after in columns else len(columns), name)
    quoted = ", ".join('"' + name + '"' for name in columns)
    return f"SELECT {quoted} FROM {parquet}"
