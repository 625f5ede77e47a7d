#!/usr/bin/env bash
# Regenerate every table and figure in docs/ that AV-MNIST trainings with the default recipe
# made, in the order they depend on each other: what to run when AV-MNIST's recipe
# (polymodal.training.recipes.DATASET_RECIPES) changes, so that the docs never mix recipes.
#
#   bash benchmarks/avmnist_docs.sh DATA_DIR [JOBS] [STEPS]
#
# STEPS (default all of them): comma-separated, of
#   zoo           the AV-MNIST bench (18 fusions and both unimodal baselines, seeds 0-2), run as
#                 one-seed sub-benches JOBS at a time (benchmarks/issue20_runs.sh, set `zoo`), merged
#                 into runs/bench-avmnist, then docs/benchmarks.md's avmnist section (ZOO_SET=zoo-by-seed
#                 in the environment: one bench per seed instead, for a machine with few cores;
#                 ZOO_SET=kept: train nothing, merge the runs kept in benchmarks/results/avmnist-zoo-RECIPE;
#                 ZOO_MACHINE: how the runs were made, for the table's machine line, where not by this script);
#   seq           docs/benchmarks.md's avmnist-seq table (benchmarks/sequence_encoders.py), beside the
#                 zoo's spectrogram rows (the sequences train with avmnist-seq's own recipe, which the
#                 table names);
#   interactions  EMAP and response categories of the zoo's seed-0 models (docs/benchmarks.md), each
#                 kept in benchmarks/results/avmnist-interactions-RECIPE and reused while its run is
#                 unchanged (the kept zoo's checkpoints are gone in a later session);
#   balance       docs/benchmarks.md's AV-MNIST balance table: 6 fusions x 7 balancing methods x 3
#                 seeds, one bench per fusion and seed (benchmarks/issue20_runs.sh, set `balance`; each
#                 starts from the zoo's unimodal baselines in runs/bench-avmnist, linked), merged into
#                 runs/balance-avmnist; about 22 hours two at a time on a 2-core machine, and resumable
#                 across sessions: the finished runs are kept in benchmarks/results/avmnist-balance-RECIPE
#                 (commit them) and restored on the next start;
#   robustness    docs/robustness.md (it retrains digits and mfeat too: their runs are reused; its AV-MNIST
#                 seed-0 runs are the zoo's, linked from runs/bench-avmnist);
#   fission       docs/fission.md's AV-MNIST section;
#   coordination  docs/coordination-real.md and its summary in docs/benchmarks.md (the
#                 supervised unimodal baselines train with the data set's recipe);
#   cli           docs/cli_defaults.md, timed: run it alone on an idle machine.
# Not regenerated, on purpose: docs/avmnist_patience.md (a study of recipe `adam`, pinned by its
# --recipe), docs/loop_overhead.md (pinned to `adam`: its plain loop is Adam's) and the recipe
# studies (avmnist_recipe.md, avmnist_candidate.md: their commands name their recipes).
set -eu
DATA=${1:?usage: avmnist_docs.sh DATA_DIR [JOBS] [STEPS]}
JOBS=${2:-$(nproc)}
STEPS=,${3:-zoo,seq,interactions,balance,robustness,fission,coordination,cli},
PY=python3
# the zoo's benches name the recipe, so they go to runs/issue20/zoo-RECIPE and never meet older ones
export RECIPE=${RECIPE:-$($PY -c 'from polymodal.training.recipes import DATASET_RECIPES; print(DATASET_RECIPES.get("avmnist", "adam"))')}
has() { [[ $STEPS == *,$1,* ]]; }

# runs kept in the repository by earlier sessions (benchmarks/keep_bench.py save) are not trained again
KEPT=benchmarks/results/avmnist-zoo-$RECIPE
restore_zoo() { if [ -d "$KEPT" ]; then $PY benchmarks/keep_bench.py restore "$KEPT" --into "runs/issue20/zoo-$RECIPE"; fi; }
merge_zoo() {
  $PY benchmarks/merge_bench.py --out runs/bench-avmnist --link-runs \
    --command "polymodal bench --dataset avmnist --data-dir ../shared/data --seeds 0,1,2" runs/issue20/zoo-$RECIPE/*
}
if has zoo; then
  restore_zoo
  [ "${ZOO_SET:-zoo}" = kept ] || bash benchmarks/issue20_runs.sh "$DATA" "$JOBS" 0 "${ZOO_SET:-zoo}"
  merge_zoo
  $PY benchmarks/bench_to_docs.py --no-run --dataset avmnist --out runs/bench-avmnist \
    --shown-command "polymodal bench --dataset avmnist --data-dir ../shared/data --seeds 0,1,2" \
    --machine "${ZOO_MACHINE:-one-seed sub-benches run $JOBS at a time (benchmarks/avmnist_docs.sh), one PyTorch thread each}"
fi
has seq && $PY benchmarks/sequence_encoders.py --data-dir "$DATA" --seeds 0,1,2 --encoders gru,cnn
has interactions && $PY benchmarks/interactions_avmnist.py --runs runs/bench-avmnist/runs --data-dir "$DATA" \
  --emap-samples 2000 --emap-samples-for raw=500,cross-modal-transformer=500 --cache "benchmarks/results/avmnist-interactions-$RECIPE"
if has balance; then
  BALANCE_CMD="polymodal bench --dataset avmnist --data-dir ../shared/data --fusions tensor,low-rank,dynamic,late,early,gated --balance none,gblend,ogm,agm,pmr,mmpareto,warmstart --seeds 0,1,2"
  # BALANCE_MACHINE in the environment: how the runs were made, where not by one run of this step
  BALANCE_NOTE=${BALANCE_MACHINE:-"Machine: one bench per fusion and seed, $JOBS at a time (benchmarks/avmnist_docs.sh), one PyTorch thread each; the unimodal baselines are the zoo's."}
  # the balance benches start from the zoo's unimodal baselines: where no zoo step ran here, the kept zoo
  [ -f runs/bench-avmnist/results.json ] || { restore_zoo; merge_zoo; }
  bash benchmarks/issue20_runs.sh "$DATA" "$JOBS" 0 balance
  $PY benchmarks/merge_bench.py --out runs/balance-avmnist --command "$BALANCE_CMD" runs/issue20/balance-avmnist/*
  $PY benchmarks/balance_table.py --results runs/balance-avmnist --dataset avmnist --command "$BALANCE_CMD" \
    --note "$BALANCE_NOTE AV-MNIST's own recipe, that of its other tables."
fi
if has robustness; then
  # robustness.py's AV-MNIST bench (seed 0, the data set's recipe, 30 epochs, patience 8) is the zoo's
  # bench: where the zoo's seed-0 checkpoints are on this machine (a kept zoo has none), its runs are
  # linked into robustness.py's folder, runs/robustness-bench/avmnist, instead of trained again
  AV_ROBUST=early,late,gated
  zoo_seed0() { for m in unimodal-image unimodal-audio ${AV_ROBUST//,/ }; do
    [ -f runs/bench-avmnist/runs/$m/seed-0/checkpoints/best.ckpt ] || return 1; done; }
  if [ ! -f runs/robustness-bench/avmnist/results.json ] && zoo_seed0; then
    $PY benchmarks/merge_bench.py --out runs/robustness-bench/avmnist --link-runs --seeds 0 \
      --methods unimodal:image,unimodal:audio,$AV_ROBUST runs/bench-avmnist \
      --command "polymodal bench --dataset avmnist --data-dir ../shared/data --seeds 0 --fusions $AV_ROBUST"
  fi
  $PY benchmarks/robustness.py --data-dir "$DATA" --seeds 0,1,2 --avmnist-fusions $AV_ROBUST
fi
has fission && $PY benchmarks/fission_data.py --sections avmnist --data-dir "$DATA"
has coordination && $PY benchmarks/coordination_data.py --data-dir "$DATA"
has cli && $PY benchmarks/cli_defaults.py --data-dir "$DATA"
echo "done: $STEPS"
