"""components_sum.py RESULTS.h5: in a cost or inference study, the energy (and area) breakdown by
component of every finished slot adds up to the slot's total (relative 1e-9): no component of
the roll-up is left out of the breakdown."""
import sys

import h5py
import numpy as np

with h5py.File(sys.argv[1], "r") as f:
    trials = f["trials"]
    pairs = [("energy_J", "energy_by_component_J"), ("area_m2", "area_by_component_m2")]
    checked = 0
    for total, parts in pairs:
        if total not in trials or parts not in trials:
            continue
        t = trials[total][()]
        p = trials[parts][()].sum(axis=-1)
        done = np.isfinite(t)
        if not np.allclose(p[done], t[done], rtol=1e-9, atol=0):
            bad = np.argwhere(~np.isclose(p, t, rtol=1e-9, atol=0) & done)[0]
            sys.exit(f"{total}: slot {tuple(bad)} has components summing to {p[tuple(bad)]:.6g}, total {t[tuple(bad)]:.6g}")
        checked += int(done.sum())
    if checked == 0:
        sys.exit("no finished slot with a breakdown")
    print(f"{checked} totals equal the sums of their components")
