"""Implicit-feedback ALS trained on Apache Spark (`ALS(engine="spark")`): the same factor
matrices as the local `implicit` engine, for interaction data too big for one machine's cores.
"""
from __future__ import annotations

import os
import sys
from typing import Protocol

import numpy as np
from scipy import sparse


class ALSParams(Protocol):
    """What `fit_spark_als` reads from the `ALS` recommender."""

    factors: int
    regularization: float
    iterations: int
    alpha: float
    seed: int
    master: str


def fit_spark_als(matrix: sparse.spmatrix, params: ALSParams) -> tuple[np.ndarray, np.ndarray]:
    """(user factors, item factors) as float32 arrays aligned to `matrix` rows and columns.

    Users or items without any entry get zero rows (Spark learns no factors for them).
    Reuses an active SparkSession as is; otherwise starts one on `params.master` and stops it.
    """
    # createDataFrame from Python rows runs Python workers; in local mode they must be this
    # interpreter (same version and packages), not whatever `python3` is on PATH. An explicit
    # setting (e.g. a cluster's) wins.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.ml.recommendation import ALS as SparkALS
    from pyspark.sql import SparkSession
    from pyspark.sql.types import FloatType, IntegerType, StructField, StructType

    coo = sparse.coo_matrix(matrix)
    n_users, n_items = coo.shape
    user_factors = np.zeros((n_users, params.factors), dtype=np.float32)
    item_factors = np.zeros((n_items, params.factors), dtype=np.float32)
    keep = coo.data != 0  # stored zeros carry no preference
    if not keep.any():
        return user_factors, item_factors
    triples = list(zip(coo.row[keep].tolist(), coo.col[keep].tolist(), coo.data[keep].astype(float).tolist()))

    active = SparkSession.getActiveSession()
    spark = active or (SparkSession.builder.master(params.master).appName("daogou-als")
                       .config("spark.ui.enabled", "false")
                       .config("spark.sql.shuffle.partitions", "4")
                       .config("spark.driver.memory", "2g")
                       .config("spark.log.level", "ERROR")
                       .config("spark.ui.showConsoleProgress", "false")
                       .getOrCreate())
    try:
        schema = StructType([StructField("user", IntegerType(), False),
                             StructField("item", IntegerType(), False),
                             StructField("rating", FloatType(), False)])
        ratings = spark.createDataFrame(triples, schema)
        # Hu–Koren–Volinsky implicit ALS (Spark: confidence 1 + α·r, preference [r > 0]), but
        # regularised "ALS-WR" style: Spark multiplies regParam by each user's (item's) number of
        # rated items, where `implicit` (and `ALS.fold_in`) use one fixed λ — so the same
        # `regularization` shrinks active users and popular items much more here. The factors
        # are not meant to match the local engine numerically.
        # Checkpointing (checkpointInterval=10) only applies once a checkpoint dir is set; without
        # one Spark just keeps the lineage, which is fine at our iteration counts.
        als = SparkALS(rank=params.factors, maxIter=params.iterations, regParam=params.regularization,
                       alpha=params.alpha, implicitPrefs=True, nonnegative=False, seed=params.seed,
                       userCol="user", itemCol="item", ratingCol="rating")
        if spark.sparkContext.master.startswith("local"):
            # One block per core: Spark's default of 10 only adds per-block overhead on one machine.
            blocks = max(1, spark.sparkContext.defaultParallelism)
            als.setNumUserBlocks(blocks).setNumItemBlocks(blocks)
        model = als.fit(ratings)
        for target, frame in ((user_factors, model.userFactors), (item_factors, model.itemFactors)):
            rows = frame.collect()
            if rows:
                ids = np.fromiter((row["id"] for row in rows), dtype=np.int64, count=len(rows))
                target[ids] = np.asarray([row["features"] for row in rows], dtype=np.float32)
    finally:
        if active is None:
            spark.stop()
    return user_factors, item_factors
