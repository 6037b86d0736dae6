"""Model files: JSON + safetensors, no pickle; hostile, foreign and damaged files fail cleanly."""
from __future__ import annotations

import json
import pickle
import zipfile

import pandas as pd
import pytest

import veil
from veil import GaussianCopulaSynthesizer, ModelFileError, VeilError


@pytest.fixture
def saved(tmp_path, mixed_table):
    synth = GaussianCopulaSynthesizer().fit(mixed_table)
    path = synth.save(tmp_path / "m.veil")
    return synth, path


def test_round_trip_gives_the_same_samples(saved):
    synth, path = saved
    again = veil.load(path)
    pd.testing.assert_frame_equal(synth.sample(300, seed=4), again.sample(300, seed=4))
    assert again.get_params() == synth.get_params()


def test_file_is_json_plus_safetensors_and_holds_no_pickle(saved):
    _, path = saved
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["manifest.json", "tensors.safetensors"]
        manifest = json.loads(zf.read("manifest.json"))
        tensors = zf.read("tensors.safetensors")
    assert manifest["format"] == "veil-model" and manifest["format_version"] == 1
    assert manifest["veil_version"] == veil.__version__
    # safetensors: 8-byte little-endian header length, then a JSON header
    header_len = int.from_bytes(tensors[:8], "little")
    json.loads(tensors[8:8 + header_len])
    for blob in (json.dumps(manifest).encode(), tensors):
        assert not blob.startswith(b"\x80"), "pickle protocol marker"
        assert b"cbuiltins" not in blob and b"c__builtin__" not in blob


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_pickle_renamed_to_veil_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.veil"
    path.write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(VeilError, match="not a veil model file"):
        veil.load(path)
    assert not marker.exists()


def test_a_zip_with_a_pickle_inside_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.veil"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", pickle.dumps(_Payload(marker)))
        zf.writestr("tensors.safetensors", pickle.dumps(_Payload(marker)))
    with pytest.raises(ModelFileError):
        veil.load(path)
    assert not marker.exists()


def test_truncated_foreign_and_newer_files(saved, tmp_path):
    _, path = saved
    data = path.read_bytes()
    cut = tmp_path / "cut.veil"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        veil.load(cut)
    foreign = tmp_path / "foreign.veil"
    with zipfile.ZipFile(foreign, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(ModelFileError, match="not a veil model file"):
        veil.load(foreign)
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        tensors = zf.read("tensors.safetensors")
    manifest["format_version"] = 99
    newer = tmp_path / "newer.veil"
    with zipfile.ZipFile(newer, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        zf.writestr("tensors.safetensors", tensors)
    with pytest.raises(ModelFileError, match="format 99.*Upgrade veil"):
        veil.load(newer)
    manifest["format_version"] = 1
    manifest["synthesizer"]["class"] = "os.system"
    odd = tmp_path / "odd.veil"
    with zipfile.ZipFile(odd, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        zf.writestr("tensors.safetensors", tensors)
    with pytest.raises(ModelFileError, match="unknown synthesizer"):
        veil.load(odd)
    with pytest.raises(ModelFileError, match="does not exist"):
        veil.load(tmp_path / "missing.veil")


def test_model_file_holds_no_faked_pii(tmp_path):
    from faker import Faker

    fake = Faker()
    fake.seed_instance(1)
    table = pd.DataFrame({"contact": [fake.email() for _ in range(200)],
                          "ssn": [fake.ssn() for _ in range(200)],
                          "hours": list(range(200))})
    path = GaussianCopulaSynthesizer().fit(table).save(tmp_path / "m.veil")
    with zipfile.ZipFile(path) as zf:
        blob = zf.read("manifest.json") + zf.read("tensors.safetensors")
    for value in list(table["contact"]) + list(table["ssn"]):
        assert value.encode() not in blob
