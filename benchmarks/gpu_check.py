"""On a GPU machine: train CTGAN, TVAE and the autoregressive model on CUDA, save, and load + sample in a
CPU-only process.

    python benchmarks/gpu_check.py TRAIN.csv OUTDIR
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import veil

train_path, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
train = veil.read_table(train_path)
report = {}
for cls in (veil.CTGANSynthesizer, veil.TVAESynthesizer, veil.AutoregressiveSynthesizer):
    synth = cls(epochs=5, device="cuda")
    t0 = time.perf_counter()
    synth.fit(train)
    fit_s = time.perf_counter() - t0
    assert synth.model_.device_.type == "cuda", synth.model_.device_
    path = synth.save(os.path.join(out, f"{cls.model_name}.veil"))
    t0 = time.perf_counter()
    sample = synth.sample(200_000, seed=0)
    report[cls.model_name] = {"fit_s_5_epochs": fit_s, "s_per_epoch": fit_s / 5,
                              "sample_200k_s_gpu": time.perf_counter() - t0, "rows": len(sample)}
    # load on a CPU-only process
    code = (f"import veil, torch; s = veil.load({str(path)!r}); assert s.model_.device_.type == 'cpu'; "
            "print(len(s.sample(1000, seed=0)), torch.cuda.is_available())")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    report[cls.model_name]["cpu_load"] = (proc.stdout.strip() or proc.stderr.strip()[-400:])
print(json.dumps(report, indent=1))
