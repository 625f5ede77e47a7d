#!/usr/bin/env bash
# The training runs behind issue 20's tables, as independent processes run N at a time.
#
#   bash benchmarks/issue20_runs.sh DATA_DIR [JOBS] [SECONDS] [SETS]
#
# SETS: which job sets, comma-separated (default zoo,variants,balance): `zoo` (the AV-MNIST zoo
# with the default recipe), `variants` (alternatives for the hardest fusions), `balance` (the
# fusion x balancing-method table), `sweep` (named recipes and their variants x tensor, low-rank,
# late and early fusion x 3 seeds: the runs that decide the AV-MNIST default), `zoo-by-seed` (the
# zoo as one bench per seed, every fusion in it: the unimodal baselines train once per seed, where
# `zoo`'s sub-benches train them once per group; for a machine with few cores; the fusions that
# never learned the audio with the adam recipe run first on every seed). The balance runs span
# sessions: when the job list ends or SECONDS run out, the finished ones are kept in
# benchmarks/results/avmnist-balance-RECIPE, and the next start restores them.
# RECIPE=NAME in the environment gives the zoo's benches --recipe NAME (default: the data set's
# own) and puts them in runs/issue20/zoo-NAME; a bench made so is the same bench as one made after
# NAME became AV-MNIST's own, and merges with it.
# Every line of the job list is one `polymodal bench` (one seed, a few fusions: its own --out)
# or one `polymodal train`; they run in the list's order, JOBS at a time (default: the cores),
# each with one PyTorch thread, for at most SECONDS (default: no limit; a run cut off resumes
# from its checkpoint when the script is started again). Lightning's default accelerator is
# `auto`: on a machine with a GPU every run uses it. benchmarks/merge_bench.py then merges the
# sub-benches of each table into one results.json for benchmarks/bench_to_docs.py --no-run and
# benchmarks/balance_table.py.
set -u
DATA=${1:?usage: issue20_runs.sh DATA_DIR [JOBS] [SECONDS] [SETS]}
JOBS=${2:-$(nproc)}
LIMIT=${3:-0}
SETS=,${4:-zoo,variants,balance},
W=runs/issue20
mkdir -p $W/logs
export POLYMODAL_THREADS=1 POLYMODAL_PROGRESS=0
PM="python3 -m polymodal"
SEEDS="0 1 2"
ZOO_GROUPS="early,late,additive multiplicative,bilinear,tensor low-rank,polynomial,gated gated-hard,modality-shift,mixture mixture-hard,dynamic,nonlinear transformer,cross-modal-transformer,raw"
BALANCED="tensor low-rank dynamic late early gated"
BELOW_TARGET="2:tensor 1:low-rank"  # seed:fusion, the zoo runs below 0.84 with the default recipe (docs/benchmarks.md)
HARD=dynamic,raw,cross-modal-transformer  # at the image-only level on every seed with the adam recipe
METHODS=none,gblend,ogm,agm,pmr,mmpareto,warmstart
ZOO_RECIPE=${RECIPE:+ --recipe $RECIPE}
ZOO=$W/zoo${RECIPE:+-$RECIPE}

#: name|settings of the recipe sweep (docs/avmnist_candidate.md): a named recipe and variants of it
SWEEP=(
  "sgdcos|--recipe bn-sgd-cosine"
  "sgdcos-wd5|--recipe bn-sgd-cosine --option weight_decay=5e-4"
  "sgdcos-wd5-md3|--recipe bn-sgd-cosine --option weight_decay=5e-4 --modality-dropout 0.3"
  "adam|--recipe adam"
  "adam-ws8|--recipe adam --balance warmstart --balance-option epochs=8"
  "sgdcos-tmask15|--recipe bn-sgd-cosine-timemask"
  "sgdcos-fmask15|--recipe bn-sgd-cosine-freqmask"
  "sgdcos-tmask15-lr02|--recipe bn-sgd-cosine-timemask --lr 0.02"
  "sgdcos-specaug|--recipe bn-sgd-cosine-specaugment"
)

jobs() {
  # 0. the recipe sweep: the candidates for AV-MNIST's default, on the fusions with targets
  [[ $SETS == *,sweep,* ]] && for s in $SEEDS; do for r in "${SWEEP[@]}"; do for f in tensor low-rank late early; do
    echo "$PM train --dataset avmnist --data-dir $DATA --fusion $f --seed $s ${r#*|} --out $W/sweep/${r%%|*}-$f-s$s"
  done; done; done
  # 1. the AV-MNIST zoo with the default recipe, seed by seed
  [[ $SETS == *,zoo,* ]] && for s in $SEEDS; do for g in $ZOO_GROUPS; do
    echo "$PM bench --dataset avmnist --data-dir $DATA --fusions $g --seeds $s --split-seed 0$ZOO_RECIPE --out $ZOO/s$s-${g//,/_}"
  done; done
  # one folder per seed; the fusions that never learned the audio under the old recipe run first,
  # on every seed, then the rest join the same folder (flock: one bench at a time in a folder)
  [[ $SETS == *,zoo-by-seed,* ]] && for fusions in $HARD all; do for s in $SEEDS; do
    echo "flock $ZOO/s$s-all.lock $PM bench --dataset avmnist --data-dir $DATA --fusions $fusions --seeds $s --split-seed 0$ZOO_RECIPE --out $ZOO/s$s-all"
  done; done
  # 2. alternatives to the defaults for the fusions with the hardest targets
  [[ $SETS == *,variants,* ]] && for s in $SEEDS; do
    t="$PM train --dataset avmnist --data-dir $DATA --seed $s"
    echo "$t --fusion tensor --option embed_dim=32 --out $W/variants/tensor-embed32-s$s"
    echo "$t --fusion low-rank --option rank=16 --out $W/variants/low-rank-rank16-s$s"
    echo "$t --fusion tensor --optimizer sgd --lr 0.01 --grad-clip 8 --out $W/variants/tensor-sgd-s$s"
    echo "$t --fusion dynamic --option penalty_warmup=20 --out $W/variants/dynamic-warmup20-s$s"
    echo "$t --fusion dynamic --option penalty=0 --out $W/variants/dynamic-penalty0-s$s"
    echo "$t --fusion raw --option encoder_norm=layer --out $W/variants/raw-layernorm-s$s"
  done
  # 3. balanced learning on AV-MNIST: each fusion with every method, seed by seed, after the
  # (seed, fusion) pairs where the default recipe misses issue 20's per-seed target (>= 0.84)
  [[ $SETS == *,balance,* ]] && for sf in $BELOW_TARGET $(for s in $SEEDS; do for f in $BALANCED; do echo $s:$f; done; done); do
    s=${sf%%:*} f=${sf#*:}
    echo "$PM bench --dataset avmnist --data-dir $DATA --fusions $f --balance $METHODS --seeds $s --split-seed 0 --out $W/balance-avmnist/s$s-$f"
  done | awk '!seen[$0]++'
}

# the balance benches' unimodal baselines are the zoo's: where the merged zoo (runs/bench-avmnist)
# has them, each balance bench starts from links to them. Its `none` run trains again beside the
# balanced ones: the table's cost column is a ratio of training times, measured under one load.
if [[ $SETS == *,balance,* ]] && [ -f runs/bench-avmnist/results.json ]; then
  for s in $SEEDS; do for f in $BALANCED; do
    [ -f $W/balance-avmnist/s$s-$f/results.json ] && continue
    python3 benchmarks/merge_bench.py --out $W/balance-avmnist/s$s-$f --link-runs --seeds $s \
      --methods unimodal:image,unimodal:audio runs/bench-avmnist \
      --command "polymodal bench --dataset avmnist --data-dir $DATA --fusions $f --balance $METHODS --seeds $s --split-seed 0"
  done; done
fi
if [[ $SETS == *,balance,* ]] && [ ! -f runs/bench-avmnist/results.json ]; then
  echo "no runs/bench-avmnist: the balance benches train their own unimodal baselines; to start them from the zoo's," \
       "run benchmarks/avmnist_docs.sh DATA_DIR JOBS balance, which merges the kept zoo first" >&2
fi
# the balance runs that earlier sessions kept in the repository (benchmarks/keep_bench.py save
# --own-runs, below) join their benches and are not trained again
BALANCE_KEPT=benchmarks/results/avmnist-balance-$(python3 -c 'from polymodal.training.recipes import DATASET_RECIPES; print(DATASET_RECIPES.get("avmnist", "adam"))')
if [[ $SETS == *,balance,* ]] && [ -d $BALANCE_KEPT ]; then
  python3 benchmarks/keep_bench.py restore $BALANCE_KEPT --into $W/balance-avmnist
fi
jobs > $W/jobs.txt
echo "$(wc -l < $W/jobs.txt) jobs, $JOBS at a time"
run() { local n; n=$(echo "$1" | md5sum | cut -c1-8); echo "start $n: $1"; bash -c "$1" > $W/logs/$n.log 2>&1; echo "done $n ($?): $1"; }
export -f run; export W
if [ "$LIMIT" -gt 0 ]; then
  timeout "$LIMIT" xargs -P "$JOBS" -d '\n' -I{} bash -c 'run "$@"' _ {} < $W/jobs.txt
else
  xargs -P "$JOBS" -d '\n' -I{} bash -c 'run "$@"' _ {} < $W/jobs.txt
fi
# keep the balance runs finished so far in the repository (commit them): a later session, on a new
# machine, trains only the rest
if [[ $SETS == *,balance,* ]]; then
  python3 benchmarks/keep_bench.py save --own-runs $W/balance-avmnist/s* --to $BALANCE_KEPT
fi
