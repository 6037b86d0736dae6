"""The ``veil`` command line. Thin: parse, call the API, print with rich.

Every expected failure (a missing file, an empty table, a bad metadata file...) exits with status 1
and one clear line on stderr, never a traceback.
"""
from __future__ import annotations

import contextlib
import functools
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .errors import VeilError
from .synthesizers import DEFAULT_MODEL

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="veil: privacy-safe synthetic tabular data.")
out = Console()
err = Console(stderr=True)


def _friendly(func):
    """Turn veil's errors (and plain OS errors) into one red line and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except VeilError as exc:
            from .io.location import scrub

            err.print(f"[bold red]error:[/] {escape(scrub(str(exc)))}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except (OSError, MemoryError) as exc:
            err.print(f"[bold red]error:[/] {type(exc).__name__}: {escape(str(exc.strerror or exc))}"
                      if isinstance(exc, OSError) else "[bold red]error:[/] out of memory",
                      highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


SOURCE_HELP = ("a file (CSV, TSV, Parquet, JSON Lines, Excel) or a database: a .duckdb/.sqlite file or a URL "
               "such as postgresql://user@host/db (password from the URL, $VEIL_DB_PASSWORD or ~/.pgpass)")
TableOption = Annotated[str | None, typer.Option("--table", help="the database table to read or write")]
QueryOption = Annotated[str | None, typer.Option("--query", help="a SELECT to read instead of a --table")]


def _read(source: str, table: str | None = None, query: str | None = None):
    """The rows of a file or a database table/query, the spinner on stderr while a database is read."""
    from .io import parse_location, read_table

    location = parse_location(source, table=table, query=query)
    if location.kind == "file":
        return read_table(location)
    with err.status(f"reading {escape(location.describe())}"):
        return read_table(location)


def _metadata_table(metadata, table) -> Table:
    from .pii.mask import mask_example

    view = Table(title=f"{len(table):,} rows x {table.shape[1]} columns", show_lines=False)
    for name in ("column", "sdtype", "format", "missing", "distinct", "PII: policy", "masked example"):
        view.add_column(name, overflow="fold")
    for col in metadata:
        series = table[col.name]
        details = col.datetime_format or col.representation or ""
        handling = ""
        example = ""
        if col.is_pii:
            conf = f" {col.confidence:.0%}" if col.confidence is not None else ""
            handling = f"[bold yellow]{col.effective_policy}[/]{conf}"
            example = mask_example(series)
        view.add_row(col.name, f"[bold yellow]{col.sdtype}[/]" if col.is_pii else col.sdtype, details,
                     f"{series.isna().mean():.1%}", f"{series.nunique(dropna=True):,}", handling, example)
    return view


@app.command()
@_friendly
def inspect(data: Annotated[str, typer.Argument(help=SOURCE_HELP)],
            save_metadata: Annotated[Path | None, typer.Option("--save-metadata", help="write the detected "
                                                                  "metadata as JSON")] = None,
            table_name: TableOption = None, query: QueryOption = None) -> None:
    """Show the detected metadata: column types and personal data (masked, never raw values)."""
    from .metadata import Metadata

    table = _read(data, table_name, query)
    metadata = Metadata.detect(table)
    out.print(_metadata_table(metadata, table))
    if metadata.primary_key:
        out.print(f"primary key: {metadata.primary_key}")
    if save_metadata:
        metadata.to_json(save_metadata)
        out.print(f"metadata written to {save_metadata}")


class _EpochProgress:
    """Training progress as a rich progress bar with the latest losses."""

    def __init__(self, console: Console):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeRemainingColumn(), TextColumn("{task.fields[losses]}"), console=console)
        self.task = None

    def on_fit_start(self, epochs: int) -> None:
        self.progress.start()
        self.task = self.progress.add_task("epochs", total=epochs, losses="")

    def on_epoch_end(self, epoch: int, losses) -> None:
        text = "  ".join(f"{k} {v:.3f}" for k, v in losses.items())
        self.progress.update(self.task, completed=epoch, losses=text)

    def on_fit_end(self, history) -> None:
        self.progress.stop()


@app.command()
@_friendly
def fit(data: Annotated[str, typer.Argument(help=SOURCE_HELP)],
        output: Annotated[Path, typer.Option("-o", "--output", help="where to write the model (.veil)")],
        model: Annotated[str, typer.Option("--model", "-m", help="autoregressive (the default), gaussian_copula, "
                                           "fast_ml, ctgan, tvae, copulagan, tablegan, tgan or mst")] = DEFAULT_MODEL,
        metadata: Annotated[Path | None, typer.Option("--metadata", help="metadata JSON (else detected)")] = None,
        seed: Annotated[int, typer.Option("--seed", help="seed for fitting")] = 0,
        epochs: Annotated[int | None, typer.Option("--epochs", help="training epochs (neural models)")] = None,
        batch_size: Annotated[int | None, typer.Option("--batch-size", help="rows per training step")] = None,
        device: Annotated[str | None, typer.Option("--device", help="auto, cpu or cuda")] = None,
        embedding_dim: Annotated[int | None, typer.Option("--embedding-dim", help="noise / latent size")] = None,
        discriminator_steps: Annotated[int | None, typer.Option("--discriminator-steps", help="CTGAN")] = None,
        pac: Annotated[int | None, typer.Option("--pac", help="rows per critic pack (CTGAN)")] = None,
        default_distribution: Annotated[str | None, typer.Option("--default-distribution",
                                                                 help="copula marginals")] = None,
        label: Annotated[str | None, typer.Option(
            "--label", help="tablegan: a categorical column whose value its classifier keeps consistent")] = None,
        delta_mean: Annotated[float | None, typer.Option(
            "--delta-mean", help="tablegan: privacy margin on the feature means (0: closest to the data)")] = None,
        delta_sd: Annotated[float | None, typer.Option(
            "--delta-sd", help="tablegan: privacy margin on the feature standard deviations")] = None,
        policy: Annotated[list[str] | None, typer.Option(
            "--policy", help="COLUMN=POLICY for a PII column (fake, drop, model, hash, generalize, person_id); "
                             "generalize takes an option: zip=generalize:prefix:3, dob=generalize:age_band:10. "
                             "Repeat for several columns")] = None,
        hash_key_file: Annotated[Path | None, typer.Option(
            "--hash-key-file", help="file holding the secret key of the hash policy (else $VEIL_HASH_KEY or "
                                    "$VEIL_HASH_KEY_FILE); never stored in the model")] = None,
        dp: Annotated[bool, typer.Option("--dp", help="train with differential privacy (ctgan, tvae, "
                                                      "autoregressive); needs --epsilon")] = False,
        epsilon: Annotated[float | None, typer.Option(
            "--epsilon", help="the privacy budget ε of --dp or of the mst model (such as 1 or 10)")] = None,
        delta: Annotated[float | None, typer.Option("--delta", help="δ of the privacy budget (default 1e-5)")] = None,
        value_protection: Annotated[int | None, typer.Option(
            "--value-protection", help="the fewest people a category or extreme value needs to be learned "
                                       "(default 5; 0 switches value protection off)")] = None,
        streaming: Annotated[bool, typer.Option(
            "--streaming", help="read the table in batches, two passes, and train from shards on disk: for tables "
                                "larger than memory (Parquet files and folders, databases; autoregressive model)")
        ] = False,
        max_training_rows: Annotated[int | None, typer.Option(
            "--max-training-rows", min=1, help="with --streaming: train on at most this many rows (a uniform "
                                               "share)")] = None,
        distributed: Annotated[bool, typer.Option(
            "--distributed", help="data-parallel training in every process torchrun starts (ctgan, tvae, "
                                  "autoregressive): torchrun --nproc-per-node 2 -m veil fit ... --distributed")
        ] = False,
        table_name: TableOption = None, query: QueryOption = None) -> None:
    """Learn a table (from a file or a database) and save the model."""
    from .errors import InvalidParameterError
    from .metadata import Metadata
    from .synthesizers import synthesizer_class

    cls = synthesizer_class(model)
    options = {"epochs": epochs, "batch_size": batch_size, "device": device, "embedding_dim": embedding_dim,
               "discriminator_steps": discriminator_steps, "pac": pac, "default_distribution": default_distribution,
               "label": label, "delta_mean": delta_mean, "delta_sd": delta_sd, "dp": dp or None,
               "epsilon": epsilon, "delta": delta, "value_protection": value_protection}
    given = {k: v for k, v in options.items() if v is not None}
    wrong = [k for k in given if k not in cls._param_names()]
    if wrong:
        flags = ", ".join("--" + k.replace("_", "-") for k in wrong)
        raise InvalidParameterError(f"{flags} does not apply to the {model} model")
    if distributed:
        _check_distributed(model, streaming or max_training_rows is not None)
    meta = Metadata.from_json(metadata) if metadata else None
    if streaming or max_training_rows is not None:
        _fit_streaming(cls(metadata=meta, seed=seed, **given), data, output, table_name, query, policy,
                       max_training_rows)
        return
    table = _read(data, table_name, query)
    if policy:
        meta = _apply_policies(meta if meta is not None else Metadata.detect(table), policy)
    key = None
    if hash_key_file is not None:
        from .pii.policies import resolve_hash_key

        key = resolve_hash_key(key_file=hash_key_file)
    started = time.perf_counter()
    synth = cls(metadata=meta, seed=seed, **given)
    with _training_processes(distributed, device) as main:  # every torchrun process fits; rank 0 writes
        if "epochs" in cls._param_names():
            synth.fit(table, callbacks=[_EpochProgress(err)] if main else [], hash_key=key)
        else:
            with err.status(f"fitting {model} on {len(table):,} rows"):
                synth.fit(table, hash_key=key)
    if not main:
        return
    synth.save(output)
    out.print(f"fitted {model} on {len(table):,} rows in {time.perf_counter() - started:.1f}s; "
              f"model written to {output}")


def _check_distributed(model: str, streaming: bool) -> None:
    """``--distributed``: a model that trains data-parallel, and torchrun's environment (clear errors)."""
    from .errors import InvalidParameterError
    from .models.nn.distributed import SUPPORTED, from_environment

    if model not in SUPPORTED:
        raise InvalidParameterError(f"--distributed trains the {', '.join(SUPPORTED)} models, not {model}")
    if streaming:
        raise InvalidParameterError("--distributed does not combine with --streaming or --max-training-rows")
    from_environment()


@contextlib.contextmanager
def _training_processes(distributed: bool, device: str | None) -> Iterator[bool]:
    """With ``--distributed``, torchrun's process group is open inside (and left at the end); yields
    whether this process is the main one (rank 0), the one that writes and prints."""
    if not distributed:
        yield True
        return
    from .models.nn.distributed import launch

    with launch(device) as parallel:
        yield parallel.is_main


def _fit_streaming(synth, data: str, output: Path, table_name: str | None, query: str | None,
                   policy: list[str] | None, max_training_rows: int | None) -> None:
    """``veil fit --streaming``: two passes over the source and training from shards on disk."""
    from .io import iter_batches
    from .metadata import Metadata
    from .scale.stream import fit_streaming

    started = time.perf_counter()
    if policy:
        if synth.metadata is None:
            synth.metadata = Metadata.detect(next(iter_batches(data, table=table_name, query=query)))
        synth.metadata = _apply_policies(synth.metadata, policy)
    fit_streaming(synth, data, table=table_name, query=query, max_training_rows=max_training_rows,
                  callbacks=[_EpochProgress(err)], log=lambda line: err.print(escape(line), highlight=False))
    synth.save(output)
    out.print(f"fitted {synth.model_name} on {synth.fit_rows_:,} rows (streamed) in "
              f"{time.perf_counter() - started:.1f}s; model written to {output}")


def _apply_policies(metadata, settings: list[str]):
    """``COLUMN=POLICY[:GENERALIZATION]`` flags applied to the metadata (validated at once)."""
    from .errors import InvalidParameterError

    for setting in settings:
        column, sep, value = setting.partition("=")
        if not sep or not column or not value:
            raise InvalidParameterError(f"--policy takes COLUMN=POLICY (e.g. email=hash), got {setting!r}")
        name, _, generalization = value.partition(":")
        changes = {"policy": name}
        if generalization:
            changes["generalization"] = generalization
        metadata.update_column(column, **changes)
    return metadata


@app.command()
@_friendly
def sample(model: Annotated[Path, typer.Argument(help="a model file written by veil fit")],
           output: Annotated[str, typer.Option("-o", "--output", "--to", help="where to write: a file (CSV, TSV, "
                                               "Parquet, JSON Lines, Excel) or a database (a .duckdb/.sqlite file "
                                               "or a URL, with --table)")],
           num_rows: Annotated[int | None, typer.Option("-n", "--num-rows", help="rows to generate", min=0)] = None,
           seed: Annotated[int | None, typer.Option("--seed", help="same seed, same rows")] = None,
           where: Annotated[str | None, typer.Option(
               "--where", help="only rows that meet this condition, e.g. \"sex == 'Female' and age >= 60\" "
                               "(columns with signs such as - or spaces may be written as they are, or in "
                               "`backticks`)")] = None,
           known: Annotated[Path | None, typer.Option(
               "--known", help="CSV or Parquet file of rows with some columns known: fill in the other columns "
                               "of each (instead of -n)")] = None,
           table_name: TableOption = None,
           overwrite: Annotated[bool, typer.Option("--overwrite", help="replace the file or table if it "
                                                                       "exists")] = False,
           chunk_rows: Annotated[int, typer.Option("--chunk-rows", min=1, help="rows generated and written at "
                                                   "a time")] = 250_000,
           workers: Annotated[int | None, typer.Option(
               "--workers", min=1, help="generate Parquet shards into the folder -o in parallel, on a local Dask "
                                        "cluster of this many processes")] = None,
           scheduler: Annotated[str | None, typer.Option(
               "--scheduler", help="generate shards on an existing Dask cluster (tcp://host:8786)")] = None,
           shard_rows: Annotated[int, typer.Option("--shard-rows", min=1, help="rows per Parquet shard "
                                                   "(with --workers or --scheduler)")] = 1_000_000) -> None:
    """Generate synthetic rows from a saved model (every row keeps the model's constraints), written in
    chunks; an existing file or table is kept unless --overwrite. With --workers or --scheduler: Parquet
    shards in a folder, in parallel, resumable and byte-identical on a rerun."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .errors import InvalidParameterError
    from .io import open_sink, parse_location, read_table
    from .persist import load

    if (num_rows is None) == (known is None):
        raise InvalidParameterError("give either -n ROWS (new rows) or --known FILE (rows to complete)")
    if known is not None and where is not None:
        raise InvalidParameterError("--where selects new rows; with --known the rows are given. Use one of them")
    if workers is not None or scheduler is not None:
        if known is not None or where is not None or table_name is not None:
            raise InvalidParameterError("--workers/--scheduler write shards of new rows to a folder; --known, "
                                        "--where and --table do not apply")
        _sample_shards(model, num_rows, Path(output), seed=seed or 0, shard_rows=shard_rows, workers=workers,
                       scheduler=scheduler)
        return
    target = parse_location(output, table=table_name, reading=False)
    synth = load(model)
    started = time.perf_counter()
    if known is not None:
        chunks = iter([synth.sample_remaining(read_table(known), seed=seed)])
        total, what = None, "completed"
    else:
        chunks = synth.sample_chunks(num_rows, seed=seed, chunk_rows=chunk_rows, where=where)
        total, what = num_rows, "wrote"
    progress = Progress(TextColumn("[bold]rows"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        console=err, transient=True, disable=total is None or total <= chunk_rows)
    with progress:
        task = progress.add_task("rows", total=total)
        with open_sink(target, overwrite=overwrite,
                       progress=lambda done: progress.update(task, completed=done)) as sink:
            for chunk in chunks:
                sink.write(chunk)
    out.print(f"{what} {sink.rows:,} synthetic rows to {escape(target.describe())} in "
              f"{time.perf_counter() - started:.1f}s")


def _sample_shards(model: Path, rows: int, out_dir: Path, *, seed: int, shard_rows: int, workers: int | None,
                   scheduler: str | None) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .scale.shards import generate

    started = time.perf_counter()
    progress = Progress(TextColumn("[bold]rows"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        console=err, transient=True)
    kept: list[int] = []

    def update(done: int, _: int) -> None:
        if not kept:
            kept.append(done)  # the first call: the rows of shards already there
        progress.update(task, completed=done)

    with progress:
        task = progress.add_task("rows", total=rows)
        manifest = generate(model, rows, out_dir, seed=seed, shard_rows=shard_rows, workers=workers,
                            scheduler=scheduler, progress=update)
    seconds = time.perf_counter() - started
    made = manifest["rows_written"] - (kept[0] if kept else 0)
    out.print(f"{manifest['rows_written']:,} synthetic rows in {len(manifest['shards'])} shards in {out_dir}: "
              f"{made:,} made in {seconds:.1f}s ({made / max(seconds, 1e-9):,.0f} rows/s), "
              f"{manifest['rows_written'] - made:,} kept from before; manifest {out_dir / 'manifest.json'}")


@app.command()
@_friendly
def validate(data: Annotated[str, typer.Argument(help=SOURCE_HELP)],
             metadata: Annotated[Path, typer.Option("--metadata", help="metadata JSON with its constraints")],
             table_name: TableOption = None, query: QueryOption = None) -> None:
    """Check a table against its metadata and constraints before fitting: counts, never values."""
    from .metadata import Metadata
    from .metadata.validate import table_problems

    table = _read(data, table_name, query)
    meta = Metadata.from_json(metadata)
    problems = meta.problems() + table_problems(meta, table)
    broken = meta.constraint_violations(table) if not problems and meta.constraints else {}
    for problem in problems:
        out.print(f"[red]problem[/]: {problem}")
    for rule, count in broken.items():
        out.print(f"[red]broken[/]: {rule}: {count:,} of {len(table):,} rows")
    if problems or broken:
        raise typer.Exit(1)
    out.print(f"{len(table):,} rows fit the metadata and keep its {len(meta.constraints)} constraint(s)")


@app.command()
@_friendly
def impute(model: Annotated[Path, typer.Argument(help="a model file written by veil fit (autoregressive)")],
           data: Annotated[Path, typer.Argument(help="CSV or Parquet file with missing cells to fill")],
           output: Annotated[Path, typer.Option("-o", "--output", help="CSV or Parquet file to write")],
           seed: Annotated[int | None, typer.Option("--seed", help="same seed, same values")] = None,
           overwrite: Annotated[bool, typer.Option("--overwrite", help="replace the output if it exists")] = False,
           ) -> None:
    """Fill the missing cells of a table from a saved model, given the rest of each row."""
    from .errors import InvalidParameterError
    from .io import read_table, write_table
    from .persist import load

    synth = load(model)
    if not hasattr(synth, "impute"):
        raise InvalidParameterError(f"the {synth.model_name} model cannot impute; fit an autoregressive model "
                                    "(veil fit DATA --model autoregressive)")
    table = read_table(data)
    started = time.perf_counter()
    filled = synth.impute(table, seed=seed)
    write_table(filled, output, overwrite=overwrite)
    holes = int(table.isna().sum().sum() - filled.isna().sum().sum())
    out.print(f"filled {holes:,} missing cells of {len(table):,} rows in {time.perf_counter() - started:.1f}s; "
              f"wrote {output}")


@app.command()
@_friendly
def evaluate(train: Annotated[Path, typer.Option("--train", help="the real rows the generator learned from")],
             synthetic: Annotated[Path, typer.Option("--synthetic", help="the synthetic rows to judge")],
             holdout: Annotated[Path | None, typer.Option(
                 "--holdout", help="real rows the generator never saw")] = None,
             target: Annotated[str | None, typer.Option("--target", help="column to predict (utility)")] = None,
             quasi_identifiers: Annotated[str | None, typer.Option(
                 "--quasi-identifiers", help="comma-separated columns for k-anonymity")] = None,
             sensitive: Annotated[str | None, typer.Option("--sensitive", help="column for l-diversity and "
                                                                               "attribute inference")] = None,
             model_compatibility: Annotated[bool, typer.Option(
                 "--model-compatibility", help="also predict every column from the others (slower)")] = False,
             report: Annotated[Path | None, typer.Option("--report", help="write the HTML report here")] = None,
             json_path: Annotated[Path | None, typer.Option("--json", help="write the figures as JSON here")] = None,
             seed: Annotated[int, typer.Option("--seed", min=0)] = 0) -> None:
    """Measure fidelity, utility and privacy of a synthetic table; print a summary, write a report."""
    from .io import read_table
    from .metrics.evaluation import evaluate as run_evaluation

    started = time.perf_counter()
    tables = {name: read_table(path) for name, path in (("train", train), ("synthetic", synthetic),
                                                         ("holdout", holdout)) if path is not None}
    qis = [c.strip() for c in quasi_identifiers.split(",") if c.strip()] if quasi_identifiers else None
    result = run_evaluation(tables["train"], tables["synthetic"], holdout=tables.get("holdout"), target=target,
                            quasi_identifiers=qis, sensitive=sensitive, model_compatibility=model_compatibility,
                            seed=seed)
    view = Table(title="veil evaluation")
    for name in ("measure", "value", "verdict"):
        view.add_column(name)
    colours = {"good": "green", "fair": "yellow", "bad": "red", "info": "white"}
    for item in result.headline():
        view.add_row(item["label"], item["value"], f"[{colours[item['level']]}]{escape(item['verdict'])}[/]")
    out.print(view)
    for note in result.notes + [f"{k}: {v}" for k, v in result.skipped.items()]:
        out.print(f"[dim]note: {escape(note)}[/]")
    if report is not None:
        out.print(f"report written to {result.to_html(report)}")
    if json_path is not None:
        result.to_json(json_path)
        out.print(f"figures written to {json_path}")
    out.print(f"[dim]{time.perf_counter() - started:.1f}s[/]")


@app.command()
@_friendly
def demo(output_dir: Annotated[Path, typer.Option("--out", help="folder for the demo's files")] = Path("demo-output"),
         rows: Annotated[int, typer.Option("--rows", help="rows of fictional people", min=100)] = 5000,
         seed: Annotated[int, typer.Option("--seed")] = 0) -> None:
    """Run the whole pipeline on a table of fictional people, offline."""
    from .demo import DEMO_NOTICE, demo_table
    from .io import write_table
    from .metadata import Metadata
    from .metrics.fidelity import quality_score
    from .synthesizers import synthesizer_class

    started = time.perf_counter()
    out.print(f"[bold]veil demo[/] — {DEMO_NOTICE}")
    real = demo_table(rows, seed=seed)
    real_path = write_table(real, output_dir / "fictional_people.csv", overwrite=True).describe()
    metadata = Metadata.detect(real)
    out.print(_metadata_table(metadata, real))
    cls = synthesizer_class(DEFAULT_MODEL)
    t0 = time.perf_counter()
    synth = cls(metadata=metadata, seed=seed).fit(real)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    synthetic = synth.sample(rows, seed=seed)
    sample_s = time.perf_counter() - t0
    syn_path = write_table(synthetic, output_dir / "synthetic_people.csv", overwrite=True).describe()
    model_path = synth.save(output_dir / "people.veil")
    pii = metadata.pii_columns
    if pii:
        out.print("[bold]personal data found:[/] " + "; ".join(
            f"{c.name} ({c.sdtype}) -> {_describe_policy(c.effective_policy)}" for c in pii))
    score = quality_score(real, synthetic, metadata)
    out.print(f"[bold]fidelity[/] (learned columns): overall {score['overall']:.3f} — column shapes "
              f"{score['column_shapes']:.3f}, column pair trends {score['column_pair_trends']:.3f}")
    out.print(f"model {cls.model_name}: fit {fit_s:.1f}s, sampled {len(synthetic):,} rows in {sample_s:.2f}s")
    out.print(f"fictional input: {real_path}\nsynthetic output: {syn_path}\nsaved model: {model_path}")
    out.print(f"done in {time.perf_counter() - started:.1f}s")


def _describe_policy(policy: str | None) -> str:
    return {"fake": "replaced with fake values (not learned)", "drop": "dropped",
            "model": "learned as a quasi-identifier (synthetic values)",
            "hash": "replaced by its keyed hash, rare values merged", "generalize": "coarsened, then learned",
            "person_id": "used to match each person's records, then dropped"}.get(policy or "", str(policy))


#: the datasets and synthesizers of the published leaderboard (benchmarks/RESULTS.md)
BENCHMARK_DATASETS = ("adult", "bank_marketing", "kc_house_sales", "kddcup99")
BENCHMARK_SYNTHESIZERS = ("autoregressive", "gaussian_copula", "fast_ml", "tvae", "ctgan")
INCUMBENT_SYNTHESIZERS = ("sdv:gaussian_copula", "sdv:ctgan", "sdv:tvae")


@app.command()
@_friendly
def benchmark(
        output_dir: Annotated[Path, typer.Option("-o", "--out", help="folder for results, cache and "
                                                 "reports (an interrupted run resumes there)")] = Path("benchmark"),
        dataset: Annotated[list[str] | None, typer.Option(
            "--dataset", "-d", help="a shared dataset (adult, bank_marketing, diabetes_130us, kc_house_sales, "
                                    "kddcup99, nycflights13); repeat for several. Default: "
                                    + ", ".join(BENCHMARK_DATASETS))] = None,
        data: Annotated[list[Path] | None, typer.Option("--data", help="a CSV of your own (with --target)")] = None,
        target: Annotated[list[str] | None, typer.Option("--target",
                                                         help="the column to predict in each --data")] = None,
        task: Annotated[str | None, typer.Option("--task", help="classification or regression (default: "
                                                 "guessed from the target)")] = None,
        synthesizer: Annotated[list[str] | None, typer.Option(
            "--synthesizer", "-s", help="a veil model name or an incumbent (sdv:gaussian_copula, sdv:ctgan, "
                                        "sdv:tvae, sdv:copulagan); repeat for several")] = None,
        repeats: Annotated[int, typer.Option("--repeats", min=1, help="runs per cell, seeds 0, 1, ...")] = 1,
        time_limit: Annotated[float, typer.Option("--time-limit", help="seconds per cell (fit and sample)")] = 1800,
        max_train_rows: Annotated[int | None, typer.Option(
            "--max-train-rows", help="fit on a seeded sample of at most this many training rows")] = None,
        settings: Annotated[list[str] | None, typer.Option(
            "--set", help="SYNTHESIZER.PARAMETER=VALUE, e.g. ctgan.epochs=30 or sdv:tvae.epochs=50")] = None,
        incumbent_python: Annotated[str | None, typer.Option(
            "--incumbent-python", envvar="VEIL_INCUMBENT_PYTHON",
            help="the Python of the incumbents' own environment (benchmarks/setup-incumbents.sh)")] = None,
        incumbent_worker: Annotated[str | None, typer.Option(
            "--incumbent-worker", envvar="VEIL_INCUMBENT_WORKER",
            help="the incumbents' worker script (default: benchmarks/incumbent_worker.py of veil's repository)")
        ] = None,
        datasets_dir: Annotated[Path, typer.Option("--datasets-dir", envvar="VEIL_DATASETS",
                                                   help="where the shared datasets are")] = Path("../shared/datasets"),
) -> None:
    """Run datasets x synthesizers x repeats and write a leaderboard (markdown and HTML) with quality,
    utility, privacy, time and memory side by side."""
    import shlex

    from .benchmark import runner
    from .errors import InvalidParameterError

    shared = runner.shared_datasets(datasets_dir)
    chosen = list(dataset or ([] if data else BENCHMARK_DATASETS))
    unknown = [d for d in chosen if d not in shared]
    if unknown:
        raise InvalidParameterError(f"unknown dataset(s) {', '.join(unknown)}; shared ones: {', '.join(shared)}")
    datasets = [shared[d] for d in chosen]
    data, target = list(data or []), list(target or [])
    if len(data) != len(target):
        raise InvalidParameterError("give one --target for each --data file")
    for path, column in zip(data, target):
        datasets.append(runner.Dataset(path.name.split(".")[0], path, column, task or _guess_task(path, column)))
    synthesizers = list(synthesizer or [*BENCHMARK_SYNTHESIZERS, *(INCUMBENT_SYNTHESIZERS if incumbent_python
                                                                    else ())])
    plan = runner.Plan(datasets=datasets, synthesizers=synthesizers, out=output_dir, repeats=repeats,
                       time_limit=time_limit, max_train_rows=max_train_rows,
                       options=runner.parse_options(settings or []), incumbent_python=incumbent_python,
                       incumbent_worker=incumbent_worker, command=" ".join(["veil", *map(shlex.quote, sys.argv[1:])]))
    results = runner.run(plan, log=lambda line: err.print(escape(line), highlight=False))
    done = results[results.status == "ok"]
    out.print(f"{len(done)} of {len(results)} cells finished; leaderboard: {output_dir / 'leaderboard.md'}, "
              f"page: {output_dir / 'report.html'}, table: {output_dir / 'results.csv'}")


def _guess_task(path: Path, column: str) -> str:
    """Classification when the target is text or has few values, else regression."""
    from .benchmark.runner import read_csv
    from .errors import InvalidParameterError

    table = read_csv(path)
    if column not in table.columns:
        raise InvalidParameterError(f"{path} has no column {column!r}")
    values = table[column].dropna()
    numeric = values.dtype.kind in "iuf"
    return "regression" if numeric and values.nunique() > 20 else "classification"


def main() -> None:
    """Entry point of the ``veil`` command."""
    app(prog_name="veil")


if __name__ == "__main__":
    sys.exit(main())
