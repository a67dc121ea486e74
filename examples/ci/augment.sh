#!/usr/bin/env bash
# A data-augmentation step for CI: balance the classes of a training table with synthetic rows that
# passed synthgan's privacy and fidelity gate, written after the real rows.
#
#   examples/ci/augment.sh DATA TARGET OUT        e.g. examples/ci/augment.sh data/train.csv readmitted build/train_augmented.parquet
#
# Environment: SYNTHGAN_EPOCHS (default 300), SYNTHGAN_POLICY (a gate policy TOML; default: built-in),
# SYNTHGAN_SEED (default 0), SYNTHGAN_HOLDOUT (share of rows kept out as the gate's baseline, default 0.2;
# the gate compares generated rows with held-out rows of the same classes, at least 30 of them),
# SYNTHGAN_INCLUDE_REAL (1, the default: OUT holds the real rows and then the synthetic ones; 0: the
# synthetic rows only - what a CI artifact may hold). Exit codes: 0 written, 3 refused by the gate (nothing
# written; the JSON report beside OUT says why), anything else: bad input or a failure.
set -euo pipefail
if [ "$#" -ne 3 ]; then
  echo "usage: $0 DATA TARGET OUT" >&2
  exit 2
fi
data="$1"; target="$2"; out="$3"
args=(augment "$data" --target "$target" --balance -o "$out" --force
      --epochs "${SYNTHGAN_EPOCHS:-300}" --seed "${SYNTHGAN_SEED:-0}" --holdout "${SYNTHGAN_HOLDOUT:-0.2}" --quiet)
if [ "${SYNTHGAN_INCLUDE_REAL:-1}" = "1" ]; then
  args+=(--include-real)
fi
if [ -n "${SYNTHGAN_POLICY:-}" ]; then
  args+=(--policy "$SYNTHGAN_POLICY")
fi
mkdir -p "$(dirname "$out")"
set +e
synthgan "${args[@]}"
status=$?
set -e
report="${out%.*}.report.json"
case "$status" in
  0) echo "augmented training data: $out (gate report: $report)" ;;
  3) echo "synthgan's gate refused the synthetic rows; nothing was written. See $report" >&2 ;;
  *) echo "synthgan augment failed with exit code $status" >&2 ;;
esac
exit "$status"
