#!/usr/bin/env bash
# Issue 21: which cues carry pitch, domain randomisation, and the simulator fitted to unlabelled real eyes, side by side.
# Run from the repository root of a clean checkout (needs ../shared/data); about 60 minutes on 2 idle cores, plus about 35 for
# the eyeball_point, eyeball_point_protocol, lids_protocol and eyeball_point_wider steps. Usage: transfer.sh [STEP] (default all).
# The fit itself (fit_p00_dev.json, ~8 min idle) was made first, at the commit the file records (one CNN per step, then
# the only way), by:
#   bench sim fit --real npz:../shared/data/mpiigaze_p00/dev.npz --out results/simulator/fit_p00_dev.json --hold-out-test standard --cnns 1
set -euo pipefail
OUT=results/simulator/transfer
P00=npz:../shared/data/mpiigaze_p00/dev.npz
FIT=results/simulator/fit_p00_dev.json
mkdir -p "$OUT"
step=${1:-all}
if [[ $step == all || $step == grids ]]; then
  bench data grid "sim?n=2000&seed=9&fit=$FIT" --out "$OUT/grid_fitted.png" --n 24
  bench data grid "sim?n=2000&seed=9&randomise=2" --out "$OUT/grid_randomised.png" --n 24
  bench data grid "sim?n=2000&seed=9" --out "$OUT/grid_default.png" --n 24
fi
if [[ $step == all || $step == diagnostic ]]; then
  # The learnt-CNN diagnostic (cpu widths, 30k renders, 6 epochs; seeds 0 and 1) on all 1500 p00 dev eyes.
  python results/simulator/measure.py --only diagnostic --seeds 0,1 --sim "fit=$FIT" > "$OUT/diagnostic_fitted.json"
  python results/simulator/measure.py --only diagnostic --seeds 0,1 --sim "randomise=2" > "$OUT/diagnostic_randomised.json"
fi
if [[ $step == all || $step == lids ]]; then
  # Domain randomisation of only what no reference pins (the lids, the head-gaze coupling) on top of the fit.
  python results/simulator/measure.py --only diagnostic --seeds 0,1 --sim "fit=$FIT&randomise=3&randomise_only=lids,head" \
    > "$OUT/diagnostic_fitted_lids_randomised.json"
fi
if [[ $step == all || $step == shape ]]; then
  # The fit with its optional shape step (eye size and lids by the iris-centred dark map), then the diagnostic on it,
  # plain and with the lids and head randomised on top.
  SHAPE_FIT=$OUT/fit_p00_dev_shape.json
  bench sim fit --real "$P00" --out "$SHAPE_FIT" --hold-out-test standard --shape --cnns 1 > "$OUT/fit_p00_dev_shape.log" 2>&1
  python results/simulator/measure.py --only diagnostic --seeds 0,1 --sim "fit=$SHAPE_FIT" > "$OUT/diagnostic_fitted_shape.json"
  python results/simulator/measure.py --only diagnostic --seeds 0,1 --sim "fit=$SHAPE_FIT&randomise=3&randomise_only=lids,head" \
    > "$OUT/diagnostic_fitted_shape_lids_randomised.json"
fi
if [[ $step == all || $step == maps ]]; then
  # The iris-centred dark maps (the shape step's statistic) of p00 dev, the 144 mixed eyes and the renders.
  python results/simulator/measure.py --only maps --sim "fit=$FIT;fit=$OUT/fit_p00_dev_shape.json" --out "$OUT" > "$OUT/iris_maps.json"
fi
if [[ $step == all || $step == sensitivity ]]; then
  bench sim sensitivity --out "$OUT/sensitivity_default.json" > "$OUT/sensitivity_default.md"
  bench sim sensitivity --train "sim?n=30000&seed=3&fit=$FIT" --out "$OUT/sensitivity_fitted.json" > "$OUT/sensitivity_fitted.md"
fi
if [[ $step == all || $step == protocol ]]; then
  # The p00 reference protocol's identity rows (results/p00_standard holds the default's, 13 seeds, same renders).
  for variant in fitted randomised; do
    options=$([[ $variant == fitted ]] && echo "fit=$FIT" || echo "randomise=2")
    bench sweep --preset standard --refiner identity --estimator cnn,rf,knn --seeds 0-1 --workers 1 --real "$P00" \
      --synthetic "sim?$options&n={n}&seed={seed}" --out "$OUT/runs_$variant"
  done
fi
if [[ $step == all || $step == other_people ]]; then
  # The same fit on the 144 unlabelled eyes of mixed people (not p00): pitch only, as right eyes are not mirrored.
  bench sim fit --real npz:../shared/data/mpiigaze_simgan_png144/images_35x55_uint8.npz --angles pitch --cnns 1 \
    --out "$OUT/fit_png144.json" > "$OUT/fit_png144.log" 2>&1
fi
if [[ $step == all || $step == eyeball_point ]]; then
  # One person's eyeball does not move behind the corners: its position as the fit's point (`eyeball=point`), lids and
  # head randomised as in `lids`; beside it `lids` again under today's code (the cpu CNN trains under bf16 since e5a4899).
  LIDS="fit=$FIT&randomise=3&randomise_only=lids,head"
  python results/simulator/measure.py --only diagnostic --seeds 0,1 --sim "$LIDS" > "$OUT/diagnostic_fitted_lids_randomised_bf16.json"
  python results/simulator/measure.py --only diagnostic --seeds 0,1 --sim "$LIDS&eyeball=point" \
    > "$OUT/diagnostic_fitted_lids_randomised_eyeball_point.json"
  python results/simulator/measure.py --only diagnostic --seeds 0,1 --sim "fit=$FIT&eyeball=point" > "$OUT/diagnostic_fitted_eyeball_point.json"
  python results/simulator/measure.py --only diagnostic --seeds 0,1 --epochs 18 --sim "$LIDS&eyeball=point" \
    > "$OUT/diagnostic_fitted_lids_randomised_eyeball_point_18_epochs.json"
fi
if [[ $step == all || $step == eyeball_point_protocol ]]; then
  # The cpu preset's p00 protocol, identity rows, on those renders (results/controlled/runs_cpu/p00 has the default's).
  bench sweep --preset cpu --refiner identity --estimator cnn,rf,knn --seeds 0-7 --workers 1 --real "$P00" \
    --synthetic "sim?fit=$FIT&randomise=3&randomise_only=lids,head&eyeball=point&n={n}&seed={seed}" --out "$OUT/runs_cpu_eyeball_point"
fi
if [[ $step == all || $step == eyeball_point_wider ]]; then
  # The same renders learnt by a CNN twice as wide (four times the compute): does it read the iris more precisely?
  python results/simulator/measure.py --only diagnostic --seeds 0,1 --channels 16,16,32,48,96 \
    --sim "fit=$FIT&randomise=3&randomise_only=lids,head&eyeball=point" > "$OUT/diagnostic_fitted_lids_randomised_eyeball_point_wider.json"
fi
if [[ $step == all || $step == lids_protocol ]]; then
  # The cpu preset's p00 protocol on the fit with lids randomised but the eyeball drawn per image: eyeball=point's share.
  bench sweep --preset cpu --refiner identity --estimator cnn,rf,knn --seeds 0-7 --workers 1 --real "$P00" \
    --synthetic "sim?fit=$FIT&randomise=3&randomise_only=lids,head&n={n}&seed={seed}" --out "$OUT/runs_cpu_lids"
fi
if [[ $step == all || $step == fit_point ]]; then
  # The fit made in the configuration it is used in (lids and head randomised, the eyeball one point, as for one person),
  # so that `sim?fit=FILE` alone renders it; the diagnostic on it, four seeds, and the earlier route's seeds 2-3 beside it.
  POINT_FIT=$OUT/fit_p00_dev_point.json
  bench sim fit --real "$P00" --out "$POINT_FIT" --hold-out-test standard --randomise 3 --randomise-only lids,head \
    --eyeball point --cnns 1 > "$OUT/fit_p00_dev_point.log" 2>&1
  python results/simulator/measure.py --only diagnostic --seeds 0,1,2,3 --sim "fit=$POINT_FIT" > "$OUT/diagnostic_fit_point.json"
  python results/simulator/measure.py --only diagnostic --seeds 2,3 --sim "fit=$FIT&randomise=3&randomise_only=lids,head&eyeball=point" \
    > "$OUT/diagnostic_fitted_lids_randomised_eyeball_point_seeds_2_3.json"
fi
if [[ $step == all || $step == pivot ]]; then
  # Two centres of rotation (params.py vertical_pivot: the vertical axis 2.6 mm in front of the horizontal one, Fry &
  # Hill's mean; chosen from the literature before any p00 reading) on the `lids` + `eyeball=point` renders, four seeds.
  python results/simulator/measure.py --only diagnostic --seeds 0,1,2,3 --style-override '{"vertical_pivot": [2.6, 2.6]}' \
    --sim "fit=$FIT&randomise=3&randomise_only=lids,head&eyeball=point" > "$OUT/diagnostic_fitted_lids_randomised_eyeball_point_pivot.json"
fi
if [[ $step == all || $step == fit_point_3cnns ]]; then
  # The fit_point step again with three CNNs per step, their mean readings averaged (one CNN's moves 1-3 deg with its seed).
  POINT_FIT=$OUT/fit_p00_dev_point_3cnns.json
  bench sim fit --real "$P00" --out "$POINT_FIT" --hold-out-test standard --randomise 3 --randomise-only lids,head \
    --eyeball point --cnns 3 > "$OUT/fit_p00_dev_point_3cnns.log" 2>&1
  python results/simulator/measure.py --only diagnostic --seeds 0,1,2,3 --sim "fit=$POINT_FIT" > "$OUT/diagnostic_fit_point_3cnns.json"
fi
if [[ $step == all || $step == wide ]]; then
  # Domain randomisation of appearance (`appearance=wide`: every look the simulator has, params.py FREE_APPEARANCE) on
  # the `lids` + `eyeball=point` renders; then the fit made in that configuration (three CNNs per step), its diagnostic,
  # and the cpu preset's p00 protocol on it (results/controlled/runs_cpu/p00 has the default's cells).
  python results/simulator/measure.py --only diagnostic --seeds 0,1,2,3 \
    --sim "fit=$FIT&randomise=3&randomise_only=lids,head&eyeball=point&appearance=wide" > "$OUT/diagnostic_fitted_lids_eyeball_point_wide.json"
  WIDE_FIT=$OUT/fit_p00_dev_wide.json
  bench sim fit --real "$P00" --out "$WIDE_FIT" --hold-out-test standard --randomise 3 --randomise-only lids,head \
    --eyeball point --appearance wide --cnns 3 > "$OUT/fit_p00_dev_wide.log" 2>&1
  python results/simulator/measure.py --only diagnostic --seeds 0,1,2,3 --sim "fit=$WIDE_FIT" > "$OUT/diagnostic_fit_wide.json"
  bench sweep --preset cpu --refiner identity --estimator cnn,rf,knn --seeds 0-7 --workers 1 --real "$P00" \
    --synthetic "sim?fit=$WIDE_FIT&n={n}&seed={seed}" --out "$OUT/runs_cpu_wide"
  bench table "$OUT/runs_cpu_wide" --table all > "$OUT/tables_cpu_wide.md"
fi
