from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO.parent / "shared" / "datasets"


def shared_dataset(name: str, **read_kwargs) -> pd.DataFrame:
    """Read one of ../shared/datasets, or skip the test when it is absent."""
    path = SHARED_DATASETS / name
    if not path.exists():
        pytest.skip(f"shared dataset {name} is not available at {SHARED_DATASETS}")
    return pd.read_csv(path, keep_default_na=False, na_values=[""], low_memory=False, **read_kwargs)


@pytest.fixture
def mixed_table() -> pd.DataFrame:
    """A small table with every column kind veil learns, plus an id, and missing values."""
    rng = np.random.default_rng(0)
    n = 600
    age = rng.integers(18, 90, n)
    income = np.round(np.exp(9 + 0.02 * age + rng.normal(0, 0.4, n)), 2)
    income[rng.random(n) < 0.05] = np.nan
    city = rng.choice(["Paris", "Zoë-ville", "東京", ""], size=n, p=[0.5, 0.2, 0.2, 0.1]).astype(object)
    city[rng.random(n) < 0.05] = None
    joined = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")
    return pd.DataFrame({
        "customer_id": np.arange(1000, 1000 + n),
        "age": age,
        "income": income,
        "city": city,
        "member": rng.random(n) < 0.3,
        "joined": joined.strftime("%Y-%m-%d"),
        "score": rng.integers(-5, 5, n),
    })


def pytest_configure(config):
    """One torch thread in tests: the networks here are tiny, and OpenMP threads that spin-wait make a
    loaded 2-core machine (a CI runner, a benchmark beside the tests) many times slower."""
    import torch

    torch.set_num_threads(1)
