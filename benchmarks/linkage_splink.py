"""Record linkage with Splink (DuckDB backend) on veil's people fixture: quality, time and memory.

A yardstick for ``veil.pii.linkage.link_records``: the same fictional people table
(``tests/people_fixture.py``), the same normalisation ideas, similar blocking keys, but the
Fellegi-Sunter weights are *learned* by Splink (u by random sampling, m by expectation maximisation)
instead of fixed. Nothing here is part of veil and nothing in veil imports Splink.

Splink needs its OWN virtual environment (never install it into the veil venv)::

    python3 -m venv benchmarks/work/splink-venv
    benchmarks/work/splink-venv/bin/pip install splink pandas pyarrow faker numpy

Run (from the repository root)::

    # ~60k records made here with Faker (people_records(20_000, seed=0))
    benchmarks/work/splink-venv/bin/python benchmarks/linkage_splink.py --people 20000 --seed 0
    # a stored table (same columns as people_records, with the ground-truth `person` column)
    benchmarks/work/splink-venv/bin/python benchmarks/linkage_splink.py --parquet benchmarks/work/people_1m.parquet

Options: ``--thresholds 0.9 0.99`` (match-probability cut-offs for clustering), ``--u-max-pairs``
(random pairs for the u estimate), ``--veil-nicknames`` (map nicknames to one given name with veil's
own table, loaded from ``src/veil/pii/nicknames.py`` by file path; off by default because Splink has no
such table), ``--joint-contact`` (phone and address as one comparison, see ``joint_contact``),
``--em-rules names-dob|email-phone`` (blocking rules of the two EM sessions, see ``EM_RULES``),
``--json PATH`` (write the figures), ``--splink-log INFO`` (Splink's own progress log).

Reported: pairwise precision/recall (``people_fixture.pairwise_scores``) per threshold; wall-clock
seconds for prep (normalise, outside Splink), training (linker set-up + prior + u + EM) and
predict + cluster; peak RSS of this process (Python, pandas and the in-process DuckDB together).

Findings (splink 5.0.0, duckdb 2.0.0, 2 cores). Splink scores phone and address as independent fields,
and household members share both, so those pairs come out as strong matches. The default model
(``names-dob`` EM rules) then drifts to a degenerate EM fit at 1M records (date-of-birth disagreement
weighs about 0), and chained false links give precision 0.04-0.67. ``--joint-contact --em-rules
email-phone`` repairs most of this. Figures: benchmarks/work/splink_results/.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import platform
import resource
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from people_fixture import pairwise_scores, people_records  # noqa: E402

TITLES = r"\b(?:mr|mrs|ms|miss|mx|dr|prof|sir|rev|jr|sr|ii|iii|iv|md|phd|dds|esq)\b"
# street words to one spelling, so "Main Street Apt. 4" and "Main St #4" compare equal
STREET = {"street": "st", "avenue": "ave", "av": "ave", "road": "rd", "drive": "dr", "lane": "ln",
          "court": "ct", "boulevard": "blvd", "place": "pl", "terrace": "ter", "circle": "cir",
          "highway": "hwy", "parkway": "pkwy", "square": "sq", "trail": "trl", "suite": "unit",
          "ste": "unit", "apartment": "unit", "apt": "unit", "north": "n", "south": "s", "east": "e",
          "west": "w", "number": "", "no": ""}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# ------------------------------------------------------------------------------ normalise
def on_distinct(values: pd.Series, fn) -> pd.Series:
    """Apply ``fn`` (Series of str -> Series) to the distinct non-missing values only, map back."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    done = fn(pd.Series(np.asarray(uniques, dtype=object).astype(str), dtype=object))
    done = done.where(done.str.len() > 0, None).to_numpy(dtype=object)
    out = np.full(len(values), None, dtype=object)
    present = codes >= 0
    out[present] = done[codes[present]]
    return pd.Series(out, index=values.index, dtype=object)


def ascii_lower(s: pd.Series) -> pd.Series:
    return s.map(lambda t: unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode("ascii").lower())


def split_names(names: pd.Series, canon=None) -> tuple[pd.Series, pd.Series]:
    """Full names -> (first, last), lower-case letters only; 'Last, First' is turned round."""
    def clean(s: pd.Series) -> pd.Series:
        s = ascii_lower(s).str.replace(r"^([^,]+),\s*([^,]+)$", r"\2 \1", regex=True)
        return s.str.replace(r"[^a-z\s]", " ", regex=True).str.replace(TITLES, " ", regex=True).str.strip()

    cleaned = on_distinct(names, clean)

    def first(s: pd.Series) -> pd.Series:
        f = s.str.split().str[0].fillna("")
        return f.map(canon) if canon else f

    def last(s: pd.Series) -> pd.Series:
        return s.str.split().map(lambda w: w[-1] if len(w) >= 2 else "")

    return on_distinct(cleaned, first), on_distinct(cleaned, last)


def normalise(raw: pd.DataFrame, canon=None) -> pd.DataFrame:
    first, last = split_names(raw["name"], canon)
    email = on_distinct(raw["email"], lambda s: s.str.strip().str.lower().where(s.str.contains("@"), ""))
    user = on_distinct(email, lambda s: s.str.split("@").str[0].str.replace(r"\+.*$", "", regex=True)
                       .where(lambda u: u.str.len() >= 4, ""))

    def phone(s: pd.Series) -> pd.Series:
        d = s.str.replace(r"\s*(?:x|ext\.?)\s*\d+$", "", regex=True).str.replace(r"\D", "", regex=True)
        d = d.where(~((d.str.len() == 11) & d.str.startswith("1")), d.str[1:])
        return d.where(d.str.len() >= 7, "")

    def address(s: pd.Series) -> pd.Series:
        words = ascii_lower(s).str.split("\n").str[0].str.replace(r"[^a-z0-9\s]", " ", regex=True).str.split()
        return words.map(lambda w: " ".join(x for x in (STREET.get(t, t) for t in w) if x))

    def dob(s: pd.Series) -> pd.Series:
        return pd.to_datetime(s, errors="coerce", format="mixed").dt.strftime("%Y-%m-%d").fillna("")

    return pd.DataFrame({
        "unique_id": np.arange(len(raw), dtype=np.int64),
        "first_name": first, "surname": last,
        "date_of_birth": on_distinct(raw["date_of_birth"], dob),
        "email": email, "email_user": user,
        "phone": on_distinct(raw["phone"], phone),
        "address": on_distinct(raw["address"], address),
        "ssn": on_distinct(raw["ssn"], lambda s: s.str.upper().str.replace(r"[^0-9A-Z]", "", regex=True)),
    })


def veil_nickname_canon():
    """veil's nickname -> given-name map, loaded from its source file (no veil import needed)."""
    spec = importlib.util.spec_from_file_location("veil_nicknames", ROOT / "src/veil/pii/nicknames.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.canonical_given_name


# ------------------------------------------------------------------------------ model
def joint_contact():
    """Phone and address as ONE comparison. Household members share both, so scoring them as two
    independent fields (Fellegi-Sunter's assumption) counts the same evidence twice."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def address_close():
        return cll.JaroWinklerLevel("address", 0.88)

    return cl.CustomComparison(
        output_column_name="phone_address",
        comparison_levels=[
            cll.And(cll.NullLevel("phone"), cll.NullLevel("address")),  # neither comparable
            cll.And(cll.ExactMatchLevel("phone"), address_close()).configure(label_for_charts="phone and address"),
            cll.ExactMatchLevel("phone").configure(label_for_charts="phone only"),
            address_close().configure(label_for_charts="address only (Jaro-Winkler >= .88)"),
            cll.ElseLevel(),
        ])


def settings(joint: bool = False):
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    contact = [joint_contact()] if joint else [cl.ExactMatch("phone"),
                                               cl.JaroWinklerAtThresholds("address", [0.95, 0.88])]
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            # exact (term-frequency adjusted) / Jaro-Winkler >= .92 / >= .80 / else
            cl.NameComparison("first_name", jaro_winkler_thresholds=[0.92, 0.8]),
            cl.NameComparison("surname", jaro_winkler_thresholds=[0.92, 0.8]),
            # exact / one edit / within a month / a year / ten years / else
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y-%m-%d"),
            # exact / same user at another domain / Jaro-Winkler on the address / on the user / else
            cl.EmailComparison("email"),
            *contact,
            cl.ExactMatch("ssn"),
        ],
        blocking_rules_to_generate_predictions=[  # roughly veil's blocking keys
            block_on("ssn"),
            block_on("email"),
            block_on("email_user"),
            block_on("phone"),
            block_on("date_of_birth", "substr(first_name, 1, 2)"),
            block_on("date_of_birth", "substr(surname, 1, 2)"),
            block_on("first_name", "surname"),
            block_on("address", "substr(first_name, 1, 1)"),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


#: blocking rules for the EM sessions. "names-dob": full name (-> m for dob, email, phone, address, ssn),
#: then dob (-> m for the names). "email-phone": e-mail (-> all but e-mail), then phone (-> e-mail).
EM_RULES = {"names-dob": [("first_name", "surname"), ("date_of_birth",)],
            "email-phone": [("email",), ("phone",)]}


def run(raw: pd.DataFrame, args) -> dict:
    from splink import DuckDBAPI, Linker, block_on

    truth = raw["person"].to_numpy()
    out: dict = {"records": len(raw), "people": int(pd.Series(truth).nunique())}

    t = time.perf_counter()
    canon = veil_nickname_canon() if args.veil_nicknames else None
    table = normalise(raw, canon)
    out["prep_s"] = time.perf_counter() - t
    out["rss_after_prep_mib"] = peak_rss_mib()

    # ---- training: linker, prior, u by random sampling, m by EM on two blocking rules
    t = time.perf_counter()
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(table, dataset_display_name="people"), settings(args.joint_contact),
                    log_level=getattr(logging, args.splink_log))
    linker.training.estimate_probability_two_random_records_match(
        [block_on("ssn"), block_on("email")], recall=args.prior_recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=args.u_max_pairs, seed=args.seed)
    # EM learns m for every comparison not used in the training rule; two rules cover all of them
    for rule in EM_RULES[args.em_rules]:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on(*rule))
    out["train_s"] = time.perf_counter() - t
    out["rss_after_train_mib"] = peak_rss_mib()
    out["prior"] = linker._settings_obj._probability_two_random_records_match
    n = len(table)
    out["true_prior"] = float(pairwise_scores(truth, truth)["true_pairs"] / (n * (n - 1) / 2))

    # ---- predict once (keeping pairs above the lowest threshold), cluster at each threshold
    t = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=min(args.thresholds),
                                           warning_mode="never")
    out["predict_s"] = time.perf_counter() - t
    out["scored_pairs_kept"] = int(predictions.as_duckdbpyrelation().aggregate("count(*)").fetchall()[0][0])

    out["thresholds"] = {}
    for threshold in args.thresholds:
        t = time.perf_counter()
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold)
        ids = clusters.as_duckdbpyrelation().select("unique_id, cluster_id").df()
        cluster_s = time.perf_counter() - t
        labels = np.empty(n, dtype=np.int64)
        labels[ids["unique_id"].to_numpy()] = pd.factorize(ids["cluster_id"])[0]
        scores = pairwise_scores(truth, labels)
        out["thresholds"][str(threshold)] = {
            **scores, "cluster_s": cluster_s, "predict_plus_cluster_s": out["predict_s"] + cluster_s,
            "clusters": int(labels.max()) + 1}
        clusters.drop_table_from_database_and_remove_from_cache()
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--people", type=int, default=20_000, help="people to generate (about 3 records each)")
    src.add_argument("--parquet", type=Path, help="read records (with a `person` column) from this file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.9, 0.99])
    parser.add_argument("--u-max-pairs", type=float, default=1e7)
    parser.add_argument("--prior-recall", type=float, default=0.6,
                        help="assumed recall of the deterministic rules (ssn, email) for the prior")
    parser.add_argument("--veil-nicknames", action="store_true")
    parser.add_argument("--em-rules", choices=sorted(EM_RULES), default="names-dob",
                        help="blocking rules of the two EM sessions (see EM_RULES)")
    parser.add_argument("--joint-contact", action="store_true",
                        help="compare phone and address as one field (see joint_contact)")
    parser.add_argument("--splink-log", default="WARNING")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    import duckdb
    import splink

    t = time.perf_counter()
    if args.parquet:
        raw = pd.read_parquet(args.parquet)
        source = str(args.parquet)
    else:
        raw = people_records(args.people, seed=args.seed)
        source = f"people_records({args.people}, seed={args.seed})"
    load_s = time.perf_counter() - t
    result = {"source": source, "load_s": load_s, "splink": splink.__version__, "duckdb": duckdb.__version__,
              "python": platform.python_version(), "veil_nicknames": args.veil_nicknames,
              "joint_contact": args.joint_contact, "em_rules": args.em_rules,
              "u_max_pairs": args.u_max_pairs, **run(raw, args)}

    print(f"{source}: {result['records']:,} records, {result['people']:,} people; splink {splink.__version__}, "
          f"duckdb {duckdb.__version__}; nicknames={'veil' if args.veil_nicknames else 'none'}; "
          f"phone+address {'joint' if args.joint_contact else 'separate'}; EM on {args.em_rules}")
    print(f"load {load_s:.1f}s  prep {result['prep_s']:.1f}s  train {result['train_s']:.1f}s  "
          f"predict {result['predict_s']:.1f}s  (pairs kept {result['scored_pairs_kept']:,})  "
          f"prior {result['prior']:.3g} (true {result['true_prior']:.3g})  peak RSS {result['peak_rss_mib']:.0f} MiB")
    print(f"{'threshold':>9} {'precision':>9} {'recall':>7} {'cluster_s':>9} {'pred+clu_s':>10} {'clusters':>9}")
    for th, r in result["thresholds"].items():
        print(f"{th:>9} {r['precision']:9.4f} {r['recall']:7.4f} {r['cluster_s']:9.1f} "
              f"{r['predict_plus_cluster_s']:10.1f} {r['clusters']:9,}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
