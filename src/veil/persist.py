"""Saving and loading synthesizers without pickle.

A model file is a zip holding exactly two members:

* ``manifest.json`` — format name and version, veil version, the synthesizer's class and parameters,
  the metadata, and the JSON configuration of its encoder, model and unlearned columns;
* ``tensors.safetensors`` — every array, in the safetensors format (a JSON header plus raw buffers).

Loading reads data only: it never imports a name taken from the file, never unpickles, and bounds
every size, so a truncated, foreign or hostile file raises :class:`ModelFileError` and runs nothing.
"""
from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load as load_arrays
from safetensors.numpy import save as save_arrays

from ._version import __version__
from .constraints.plan import ConstraintPlan
from .errors import ModelFileError, VeilError
from .metadata import Metadata
from .pii.policies import PeopleShape
from .protect.values import ValueProtection
from .sample.resynthesis import ColumnResynthesizer

FORMAT = "veil-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TENSORS = "tensors.safetensors"
MAX_MANIFEST_BYTES = 64 * 2**20
MAX_TENSOR_BYTES = 8 * 2**30


def save(synth: Any, path: str | Path) -> Path:
    """Write a fitted synthesizer to ``path``; the file is replaced atomically."""
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    encoder = model = None
    if synth.model_ is not None:
        enc_config, enc_arrays = synth.encoder_.state()
        model_config, model_arrays = synth.model_.state()
        arrays.update({f"encoder/{k}": v for k, v in enc_arrays.items()})
        arrays.update({f"model/{k}": v for k, v in model_arrays.items()})
        encoder, model = enc_config, model_config
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "veil_version": __version__,
        "synthesizer": {"class": synth.model_name, "params": synth.get_params()},
        "metadata": synth.metadata_.to_dict(),
        "columns": synth.columns_,
        "rows_fitted": synth.fit_rows_,
        "resynthesis": synth.resynthesizer_.state(),
        "people": synth.people_.state() if getattr(synth, "people_", None) is not None else None,
        "protection": synth.protection_.to_dict() if getattr(synth, "protection_", None) is not None else None,
        "privacy": getattr(synth, "privacy_", None),
        "encoder": encoder,
        "model": model,
    }
    plan = getattr(synth, "constraints_", None)
    if plan is not None:
        plan_config, plan_arrays = plan.state()
        manifest["constraints"] = plan_config
        arrays.update({f"constraints/{k}": v for k, v in plan_arrays.items()})
    payload = json.dumps(manifest, ensure_ascii=False, allow_nan=False).encode("utf-8")
    # ascontiguousarray turns 0-d arrays into 1-d ones: keep every shape as it is
    tensors = save_arrays({k: np.ascontiguousarray(v).reshape(np.shape(v)) for k, v in arrays.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST, payload)
        zf.writestr(TENSORS, tensors)
    os.replace(tmp, path)
    return path


def _read_member(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise ModelFileError(f"the model file's {name} is larger than veil accepts ({limit} bytes)")
    with zf.open(info) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ModelFileError(f"the model file's {name} is larger than veil accepts ({limit} bytes)")
    return data


def read_manifest(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read and check a model file's manifest and arrays (no object is built)."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"model file {str(path)!r} does not exist")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{str(path)!r} is not a veil model file (not a zip archive; "
                             "veil never loads pickles or other formats)")
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if names != {MANIFEST, TENSORS}:
                raise ModelFileError(f"{str(path)!r} is not a veil model file (it must hold exactly "
                                     f"{MANIFEST} and {TENSORS})")
            manifest_bytes = _read_member(zf, MANIFEST, MAX_MANIFEST_BYTES)
            tensor_bytes = _read_member(zf, TENSORS, MAX_TENSOR_BYTES)
    except VeilError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise ModelFileError(f"{str(path)!r} is damaged or truncated ({type(exc).__name__})") from None
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFileError(f"{str(path)!r} has a damaged manifest (not valid JSON)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelFileError(f"{str(path)!r} is not a veil model file (unknown format)")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFileError(f"{str(path)!r} has no valid format version")
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{str(path)!r} was written in model format {version} (veil "
                             f"{manifest.get('veil_version', '?')}); this veil {__version__} reads format "
                             f"{FORMAT_VERSION} and older. Upgrade veil to load it.")
    try:
        arrays = load_arrays(tensor_bytes)
    except Exception:  # noqa: BLE001 - any failure to parse is a damaged file
        raise ModelFileError(f"{str(path)!r} has damaged tensors") from None
    return manifest, arrays


def load(path: str | Path):
    """Load a synthesizer saved with ``save``. Never executes code from the file."""
    from .synthesizers import REGISTRY

    manifest, arrays = read_manifest(path)
    try:
        spec = manifest["synthesizer"]
        cls = REGISTRY.get(spec["class"])
        if cls is None:
            raise ModelFileError(f"{str(path)!r} holds an unknown synthesizer {spec['class']!r}; "
                                 f"this veil knows {', '.join(sorted(REGISTRY))}")
        params = {k: v for k, v in spec["params"].items() if k in cls._param_names()}
        synth = cls(**params)
        synth.metadata_ = Metadata.from_dict(manifest["metadata"])
        synth.columns_ = [str(c) for c in manifest["columns"]]
        synth.fit_rows_ = int(manifest["rows_fitted"])
        synth.resynthesizer_ = ColumnResynthesizer.from_state(manifest["resynthesis"])
        plan = manifest.get("constraints")
        synth.constraints_ = None if plan is None else ConstraintPlan.from_state(
            plan, {k[len("constraints/"):]: v for k, v in arrays.items() if k.startswith("constraints/")})
        people = manifest.get("people")
        synth.people_ = PeopleShape.from_state(people) if people is not None else None
        protection = manifest.get("protection")
        synth.protection_ = ValueProtection.from_dict(protection) if protection is not None else None
        synth.privacy_ = manifest.get("privacy")
        if manifest["model"] is None:
            synth.encoder_ = synth.model_ = None
        else:
            enc = {k[len("encoder/"):]: v for k, v in arrays.items() if k.startswith("encoder/")}
            mod = {k[len("model/"):]: v for k, v in arrays.items() if k.startswith("model/")}
            synth.encoder_ = cls.encoder_class.from_state(manifest["encoder"], enc)
            synth.model_ = cls.model_class.from_state(manifest["model"], mod)
        synth._validate_params()
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ModelFileError(f"{str(path)!r} is damaged: its content does not describe a valid "
                             f"synthesizer ({type(exc).__name__})") from None
    return synth
