"""Scoring person pairs on Apache Spark with Splink's Spark backend.

Resolution has three parts that grow differently with the case: training (a bounded sample of
pairs: u by random sampling, m by EM on identifier blocks), scoring the blocked candidate pairs
(grows with the blocks, tens of millions of pairs past a few million records) and clustering
(the pairs kept). Only scoring outgrows one machine first, so ``engine="spark"`` scores on Spark
and keeps the rest where it is: the model is trained on DuckDB (one thread, bit for bit the same
file whatever the engine) and the clusters are built from the scored pairs as before.

The person model's comparison levels are written in DuckDB's SQL (list lambdas, DuckDB's
Jaro-Winkler). Spark has neither in the same form, and a Jaro-Winkler of another library differs
from DuckDB's on some strings (rapidfuzz's disagreed on 1% of random pairs), which would move
records across the threshold. So each level's condition is evaluated by DuckDB itself, inside a
vectorised (Arrow) Spark UDF over each batch of pairs — one UDF and one DuckDB query per batch for
all comparisons together: both engines compute every level with the same code and give the same
scores, and a model file serves both unchanged.

Splink's intermediate tables (blocked pairs, comparison vectors, predictions) are written to
Parquet under the context's checkpoint directory, not persisted in the JVM's heap: with
``persist`` a local Spark with a 4 GB driver ran out of heap on 100k generated records (up to 19M blocked
pairs). The pairs are scored in the same slices as on DuckDB (``chunks``). The directory is
``NETINTEL_SPARK_CHECKPOINT_DIR`` when set (a cluster needs shared storage: ``hdfs://...``),
otherwise a temporary directory of this machine, removed when the interpreter exits.

PySpark and a Java runtime are optional: ``pip install 'netintel[spark]'`` and, on Debian,
``apt-get install openjdk-17-jre-headless``.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import warnings
from typing import Any, Sequence

import pandas as pd

from ..errors import ResolutionError
from .probabilistic import kept_prediction_columns, register_macros

__all__ = ["spark_session", "spark_settings", "predict_on_spark", "DEFAULT_MASTER"]

#: The Spark master used when none is given: two local cores (tests, a laptop).
DEFAULT_MASTER = "local[2]"

_COLUMN = re.compile(r"\b([a-z][a-z0-9_]*?)_(l|r)\b")


def _require_spark() -> Any:
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise ResolutionError(
            "engine='spark' needs PySpark: pip install 'netintel[spark]' (and a Java 17 runtime, on Debian "
            "apt-get install openjdk-17-jre-headless); or resolve with engine='duckdb'") from exc
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise ResolutionError(
            "engine='spark' needs a Java runtime and none was found (no JAVA_HOME, no java on PATH): on Debian "
            "apt-get install openjdk-17-jre-headless; or resolve with engine='duckdb'")
    return pyspark


def spark_session(master: str | None = None) -> Any:
    """The Spark session resolution scores on: the running one, or a new one on ``master``.

    ``master`` is passed through as Spark takes it (``local[2]``, ``spark://host:7077``, ``yarn``);
    default :data:`DEFAULT_MASTER`, or the ``NETINTEL_SPARK_MASTER`` environment variable.
    """
    _require_spark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    master = master or os.environ.get("NETINTEL_SPARK_MASTER") or DEFAULT_MASTER
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = (SparkSession.builder.master(master).appName("netintel-resolve")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               # the workers run this interpreter (with netintel's DuckDB and Arrow), not the PATH's
               .config("spark.pyspark.python", sys.executable)
               .config("spark.pyspark.driver.python", sys.executable)
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               # many small shuffle partitions bound a task's memory on skewed blocks; adaptive
               # execution coalesces them again where the data is small (the tests, a sample)
               .config("spark.sql.shuffle.partitions", os.environ.get("NETINTEL_SPARK_PARTITIONS", "64"))
               .config("spark.sql.adaptive.enabled", "true")
               .config("spark.sql.adaptive.coalescePartitions.enabled", "true")
               .config("spark.driver.memory", os.environ.get("NETINTEL_SPARK_DRIVER_MEMORY")
                       or _driver_memory(master)))
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: say what to check, not a py4j traceback
        raise ResolutionError(f"Spark did not start on master {master!r}: {exc}. Check the Java runtime "
                              "(java -version) and the master URL; or resolve with engine='duckdb'") from exc
    session.sparkContext.setLogLevel("ERROR")
    _set_checkpoint_dir(session)
    return session


#: Share of this machine's memory a local Spark's JVM may take (driver and executors are one JVM).
LOCAL_MEMORY_SHARE = 0.4


def _driver_memory(master: str) -> str:
    """The driver's heap: for a local master a share of this machine (at least 4 GB), else 4 GB.

    A local Spark runs its executors inside the driver, so the heap is all the memory scoring
    has; 4 GB ran out of heap on the blocked pairs of 100k generated records.
    """
    if not master.startswith("local"):
        return "4g"
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "4g"
    return f"{max(4, int(total * LOCAL_MEMORY_SHARE / 2**30))}g"


def _set_checkpoint_dir(session: Any) -> None:
    """Give the context a checkpoint directory (where Splink writes its Parquet) if it has none."""
    context = session.sparkContext
    if not context._jsc.sc().getCheckpointDir().isEmpty():
        return
    where = os.environ.get("NETINTEL_SPARK_CHECKPOINT_DIR")
    if not where:
        where = tempfile.mkdtemp(prefix="netintel-spark-")
        atexit.register(shutil.rmtree, where, ignore_errors=True)
    context.setCheckpointDir(where)


# ---------------------------------------------------------------------------------------------
# Comparison levels evaluated by DuckDB inside Spark
# ---------------------------------------------------------------------------------------------
def _level_columns(condition: str) -> list[str]:
    """The ``<col>_l`` / ``<col>_r`` columns a level's SQL reads, in a fixed order."""
    found = {f"{m.group(1)}_{m.group(2)}" for m in _COLUMN.finditer(condition)}
    return sorted(found)


def _arrow_column(series: pd.Series, arrow_type: Any) -> Any:
    """A Spark batch's column as the Arrow type the feature table had (NaN and None are null)."""
    import pyarrow as pa

    return pa.array(series, type=arrow_type, from_pandas=True)


def _levels_sql(comparisons: list[dict[str, Any]]) -> str:
    """DuckDB SQL giving, per pair, the position of the level that applies in each comparison."""
    cases = []
    for comp in comparisons:
        whens, default = [], -1
        for j, level in enumerate(comp["comparison_levels"]):
            cond = level["sql_condition"]
            if cond.strip().upper() == "ELSE":
                default = j
                break
            whens.append(f"WHEN ({cond}) THEN {j}")
        cases.append(f"(CASE {' '.join(whens)} ELSE {default} END)::INTEGER AS c{len(cases)}")
    return f"SELECT {', '.join(cases)} FROM batch"


def _register_levels(spark: Any, comparisons: list[dict[str, Any]], types: dict[str, Any]) -> str:
    """Register one vectorised UDF that evaluates every comparison's levels with DuckDB.

    Returns the UDF's call in SQL. Spark evaluates a UDF called with the same arguments once per
    row however many levels refer to it, so each batch of pairs makes one trip to Python and one
    DuckDB query for all comparisons together.
    """
    from pyspark.sql.functions import pandas_udf

    sql = _levels_sql(comparisons)
    cols = sorted({c for comp in comparisons for level in comp["comparison_levels"]
                   for c in _level_columns(level["sql_condition"])})
    col_types = [types[c.rsplit("_", 1)[0]] for c in cols]

    def evaluate(*series: pd.Series) -> pd.Series:
        import duckdb
        import pyarrow as pa

        table = pa.table({c: _arrow_column(s, t) for c, s, t in zip(cols, series, col_types)})
        con = duckdb.connect()
        try:
            con.execute("SET threads TO 1")  # Spark already runs one Python worker per core
            register_macros(con)
            con.register("batch", table)
            levels = con.sql(sql).to_arrow_table().to_pandas()
        finally:
            con.close()
        return levels

    name = "ni_levels_" + hashlib.sha1(sql.encode("utf-8")).hexdigest()[:12]
    struct = ", ".join(f"c{i} int" for i in range(len(comparisons)))
    spark.udf.register(name, pandas_udf(evaluate, f"struct<{struct}>"))
    return f"{name}({', '.join(cols)})"


def spark_settings(settings: dict[str, Any], spark: Any, types: dict[str, Any]) -> dict[str, Any]:
    """A copy of Splink ``settings`` (DuckDB dialect) that scores the same on Spark.

    Every comparison level's condition becomes "DuckDB's evaluation of this comparison chose this
    level" (:func:`_register_levels`); blocking rules are plain equalities and arithmetic and run
    as Spark SQL. ``types`` gives the Arrow type of each feature column.
    """
    out = json.loads(json.dumps(settings))
    out["sql_dialect"] = "spark"
    comparisons = out.get("comparisons", [])
    call = _register_levels(spark, comparisons, types)
    for i, comp in enumerate(comparisons):
        for j, level in enumerate(comp["comparison_levels"]):
            if level["sql_condition"].strip().upper() != "ELSE":
                level["sql_condition"] = f"{call}.c{i} = {j}"
    rules = []
    for rule in out.get("blocking_rules_to_generate_predictions", []):
        if isinstance(rule, dict):
            rule = dict(rule, sql_dialect="spark", blocking_rule=_portable_blocking(spark, rule["blocking_rule"]))
        rules.append(rule)
    out["blocking_rules_to_generate_predictions"] = rules
    return out


#: DuckDB scalar functions a blocking rule may use that Spark lacks (or computes differently),
#: with their Spark return types: inside Spark they are evaluated by DuckDB, value for value.
DUCKDB_SCALARS = {"damerau_levenshtein": "int", "hamming": "int", "jaro_winkler_similarity": "double",
                  "levenshtein": "int"}


def _register_scalar(spark: Any, name: str) -> str:
    from pyspark.sql.functions import pandas_udf

    def evaluate(a: pd.Series, b: pd.Series) -> pd.Series:
        import duckdb
        import pyarrow as pa

        table = pa.table({"a": pa.array(a, type=pa.string(), from_pandas=True),
                          "b": pa.array(b, type=pa.string(), from_pandas=True)})
        con = duckdb.connect()
        try:
            con.execute("SET threads TO 1")
            con.register("batch", table)
            return con.sql(f"SELECT {name}(a, b) AS v FROM batch").to_arrow_table().column("v").to_pandas()
        finally:
            con.close()

    udf = f"ni_duckdb_{name}"
    spark.udf.register(udf, pandas_udf(evaluate, DUCKDB_SCALARS[name]))
    return udf


def _portable_blocking(spark: Any, sql: str) -> str:
    """A blocking rule's SQL with DuckDB-only functions replaced by DuckDB-evaluated UDFs."""
    for name in DUCKDB_SCALARS:
        pattern = re.compile(rf"\b{name}\s*\(", re.IGNORECASE)
        if pattern.search(sql):
            sql = pattern.sub(_register_scalar(spark, name) + "(", sql)
    return sql


def predict_on_spark(settings: dict[str, Any], features: pd.DataFrame, columns: Sequence[str], *,
                     floor: float, master: str | None = None, chunks: int = 1) -> pd.DataFrame:
    """Score the blocked pairs of ``features`` with ``settings`` on Spark; Splink's predictions as pandas.

    ``chunks``: slices of the left-hand records scored one after the other (as on DuckDB).
    """
    import pyarrow as pa

    spark = spark_session(master)
    from splink import Linker
    from splink.backends.spark import SparkAPI

    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    table = pa.Table.from_pandas(features[list(columns)], preserve_index=False)
    types = {f.name: f.type for f in table.schema}
    for name, typ in list(types.items()):  # an all-null column has no type Spark can read
        if pa.types.is_null(typ):
            types[name] = pa.string()
    table = table.cast(pa.schema([pa.field(n, types[n]) for n in table.column_names]))
    frame = spark.createDataFrame(table)
    db = SparkAPI(spark_session=spark, break_lineage_method="parquet", register_udfs_automatically=False)
    linker = Linker(db.register(frame), spark_settings(settings, spark, types), log_level=None,
                    validate_settings=False)
    sliced = {"num_chunks_left": chunks, "num_chunks_right": 1} if chunks > 1 else {}
    pred = linker.inference.predict(threshold_match_probability=floor, **sliced).as_spark_dataframe()
    # only the columns a resolution keeps cross to Python: with the records' own columns, collecting
    # the 2.2M pairs kept of 1M records failed in the JVM
    return pred.select(*kept_prediction_columns(pred.columns)).toPandas()
