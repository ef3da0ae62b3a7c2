#!/usr/bin/env bash
# The CUDA checks on a GPU machine, in one go: the fine-tuning and CNN exercises' reference
# solutions, their mutants and alternatives (kata dev check), and the fine-tuning benchmark.
#   OUT=/some/folder bash benchmarks/gpu_checks.sh        (no install needed: PYTHONPATH=.)
set -uo pipefail
OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD KATA_SANDBOX=${KATA_SANDBOX:-none}
PY=${PYTHON:-python3}
kata() { $PY -c 'import sys; from grader.cli import cli; sys.argv[0] = "kata"; cli()' "$@"; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/gpu.txt"
$PY -c "import torch, torchvision; print('torch', torch.__version__, 'torchvision', torchvision.__version__, 'cuda', torch.cuda.is_available())" | tee -a "$OUT/gpu.txt"
echo "== reference solutions on the GPU"
time kata grade finetune_resnet18 train_cnn --solutions --jobs 2 \
  --format json --out "$OUT/solutions.json" 2>&1 | tee "$OUT/solutions.txt"
$PY - "$OUT/solutions.json" <<'PY' | tee -a "$OUT/solutions.txt"
import json, sys
report = json.load(open(sys.argv[1]))
print("environment:", report["environment"])
for e in report["exercises"]:
    print(e["id"], e["status"], f'{e["score"]:g}/{e["max_score"]:g}')
    for c in e["checks"]:
        if "gpu" in c["name"] or c["outcome"] != "passed":
            print("   ", c["name"], c["outcome"], f'{c["duration_s"]:.2f} s', c["message"][:200])
PY
[ "${SKIP_DEVCHECK:-}" = 1 ] && exit 0
echo "== kata dev check on the GPU"
time kata dev check --only finetune_resnet18 --only train_cnn --jobs 6 2>&1 | tee "$OUT/devcheck.txt"
[ "${SKIP_BENCH:-}" = 1 ] && exit 0
echo "== fine-tuning throughput"
$PY benchmarks/finetune_gpu.py 2>&1 | tee "$OUT/bench.txt"
$PY benchmarks/finetune_gpu.py --full 2>&1 | tee -a "$OUT/bench.txt"
