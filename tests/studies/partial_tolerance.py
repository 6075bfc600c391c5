"""partial_tolerance.py RESULTS.h5 WORKDIR: the noise-tolerance summary of a study still running
(points without finished trials have NaN means) names what is not finished instead of reading
NaN as "no loss". Makes a copy of RESULTS with one design's points unfinished, runs
`python -m cimmc.plot` on it and checks the lines."""
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

results, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
partial = os.path.join(work, "partial.h5")
shutil.copy(results, partial)
with h5py.File(partial, "r+") as f:
    hardware = [v.decode() if isinstance(v, bytes) else v for v in f["axes"]["hardware"][()]]
    keys = [k.decode() if isinstance(k, bytes) else k for k in f["points"]["index"].attrs["axes"]]
    column = keys.index("hardware")
    unfinished = f["points"]["index"][:, column] == hardware.index("zebra_lcu")
    for name in f["summary"]:
        mean = f["summary"][name]["mean"]
        values = mean[()]
        values[unfinished] = np.nan
        mean[...] = values
    done = f["points"]["done"][()]
    done[unfinished] = 0
    f["points"]["done"][...] = done
env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), "..", "..", "python"))
out = subprocess.run([sys.executable, "-m", "cimmc.plot", partial, "-o", os.path.join(work, "partial.png")],
                     capture_output=True, text=True, env=env)
print(out.stdout, out.stderr)
if out.returncode != 0:
    sys.exit("cimmc.plot failed on a partial file")
lines = out.stdout.splitlines()
if not any(l.strip() == "zebra_lcu: no finished trials yet" for l in lines):
    sys.exit("the unfinished design is not named as unfinished")
if any("zebra_lcu" in l and "loses" in l for l in lines):
    sys.exit("a loss was stated for a design without finished trials")
print("partial results: the unfinished design is named, no loss is claimed for it")
