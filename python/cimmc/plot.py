"""Plots of cimmc.study result files (docs/formats.md), chosen from the file's kind and axes.

    python3 -m cimmc.plot RESULTS.h5 [-o FIGURE.png|.pdf|.svg]

- inference: accuracy against the swept noise axis (the first numeric axis, a ``noise.*`` one
  first) with its 95 % band, one line per value of the other axes (readout, design, ...);
  without a numeric axis, accuracy per point with its 95 % interval;
- switching: switching probability against current, one line per pulse width (and point),
  with the 95 % Wilson band of the pooled trials;
- cost: energy, latency and area per point as bars.

Exit codes: 0 success, 2 a file it cannot plot (the message says why), 1 anything else.
Needs numpy, h5py and matplotlib (Debian: python3-h5py, python3-matplotlib).
"""

import argparse
import math
import os
import sys
import textwrap

FORMATS = (".png", ".pdf", ".svg")


class PlotError(Exception):
    """A file or option this module cannot plot; exit code 2."""


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def _units(dataset):
    units = _text(dataset.attrs.get("units", "1"))
    return "" if units in ("", "1") else units


def _label(key, units):
    return f"{key} ({units})" if units else key


def _scaled(values, units):
    """Values in a readable SI prefix, with the unit label."""
    import numpy as np

    prefixes = [(1e-15, "f"), (1e-12, "p"), (1e-9, "n"), (1e-6, "µ"), (1e-3, "m"), (1.0, "")]
    if units == "m^2":
        return values * 1e6, "mm^2"
    finite = np.abs(values[np.isfinite(values)])
    if not units or units in ("1",) or finite.size == 0 or "/" in units or "*" in units:
        return values, units
    top = finite.max()
    factor, prefix = 1.0, ""
    for f, p in prefixes:
        if top >= f:
            factor, prefix = f, p
    return values / factor, prefix + units


class Study:
    """The parts of a cimmc.study file the plots read."""

    def __init__(self, path):
        import h5py

        if not os.path.exists(path):
            raise PlotError(f"{path}: file not found")
        try:
            self.file = h5py.File(path, "r")
        except OSError as error:
            raise PlotError(f"{path}: not an HDF5 file ({error})") from None
        attrs = self.file.attrs
        filetype = _text(attrs.get("filetype", ""))
        if filetype != "cimmc.study":
            what = f"a {filetype} file" if filetype else "not a cimmc file"
            raise PlotError(f"{path}: {what}; cimmc plot reads cimmc.study files (written by cimmc run)")
        major = int(attrs["format_version"][0])
        if major > 1:
            raise PlotError(f"{path}: cimmc.study format version {major} is newer than this module reads (1)")
        self.path = path
        self.name = _text(attrs.get("name", os.path.basename(path)))
        self.kind = _text(attrs["kind"])
        index = self.file["points/index"]
        self.index = index[()]
        self.keys = [_text(k) for k in index.attrs["axes"]] if self.index.shape[1] > 0 else []
        if self.file["points/done"][()].sum() == 0:
            raise PlotError(f"{path}: no finished slots yet (continue the study with cimmc run --resume)")

    def axis(self, key):
        dataset = self.file["axes"][key]
        values = dataset[()]
        if values.dtype.kind in ("O", "S"):
            return [_text(v) for v in values], ""
        return values, _units(dataset)

    def numeric(self, key):
        return self.file["axes"][key].dtype.kind == "f"

    def point_label(self, point, skip=()):
        parts = []
        for a, key in enumerate(self.keys):
            if key in skip:
                continue
            values, units = self.axis(key)
            value = values[self.index[point, a]]
            text = value if isinstance(value, str) else f"{value:g}"
            parts.append(text if key in ("hardware", "technology", "device") else f"{key} = {text}{' ' + units if units else ''}")
        return ", ".join(parts) if parts else "base design"

    def summary(self, metric):
        group = self.file["summary"][metric]
        return {name: group[name][()] for name in ("mean", "ci_low", "ci_high")}, _units(group["mean"])


def _noise_axis(study):
    """The axis to draw lines along: a numeric one (``noise.*`` first) along which some line has
    at least two points on every line; None otherwise (e.g. when the axes advance together in one
    zip group), and each point is then its own design."""
    numeric = [k for k in study.keys if study.numeric(k)]
    for key in [k for k in numeric if k.startswith("noise.")] + [k for k in numeric if not k.startswith("noise.")]:
        lines = {}
        for p in range(len(study.index)):
            label = study.point_label(p, skip=(key,))
            lines[label] = lines.get(label, 0) + 1
        if lines and min(lines.values()) >= 2:
            return key
    return None


def _has_metric(study, metric):
    import numpy as np

    return metric in study.file["summary"] and np.isfinite(study.file["summary"][metric]["mean"][()]).any()


def _design_bars(study, figure):
    """One bar per point: accuracy, and the energy per image beside it when the study priced it."""
    import numpy as np

    metrics = [("accuracy", 100.0, "accuracy (%)")]
    if _has_metric(study, "energy_J"):
        metrics.append(("energy_J", None, "energy per image"))
    points = np.arange(len(study.index))
    labels = [textwrap.fill(study.point_label(p), 45) for p in points]
    for i, (metric, scale, title) in enumerate(metrics):
        ax = figure.add_subplot(1, len(metrics), i + 1)
        summary, units = study.summary(metric)
        mean, low, high = summary["mean"], summary["ci_low"], summary["ci_high"]
        if scale is None:
            (mean, low, high), units = _scaled(np.array([mean, low, high]), units)
            title = f"{title} ({units})"
        else:
            mean, low, high = scale * mean, scale * low, scale * high
        err = np.nan_to_num([mean - low, high - mean])
        ax.barh(points, mean, xerr=err, capsize=3, color="tab:blue" if i == 0 else "tab:orange")
        ax.set_yticks(points, labels if i == 0 else [""] * len(points), fontsize="x-small")
        ax.invert_yaxis()
        ax.set_xlabel(title)
        ax.grid(alpha=0.3, axis="x")


def _accuracy_lines(study, ax, x_key):
    """Accuracy vs the numeric axis x_key with 95 % Wilson bands, one line per other design."""
    import numpy as np

    accuracy, _ = study.summary("accuracy")
    a = study.keys.index(x_key)
    values, units = study.axis(x_key)
    others = [k for k in study.keys if k != x_key]
    lines = {}
    for p in range(len(study.index)):
        lines.setdefault(study.point_label(p, skip=(x_key,)), []).append(p)
    for label, points in lines.items():
        points = sorted(points, key=lambda p: study.index[p, a])
        x = np.array([values[study.index[p, a]] for p in points])
        mean = 100 * accuracy["mean"][points]
        line, = ax.plot(x, mean, marker="o", label=label if others else "accuracy")
        ax.fill_between(x, 100 * accuracy["ci_low"][points], 100 * accuracy["ci_high"][points],
                        color=line.get_color(), alpha=0.2)
    ax.set_xlabel(_label(x_key, units))
    ax.legend(title="95 % Wilson bands", fontsize="small")
    ax.set_ylabel("accuracy (%)")
    ax.grid(alpha=0.3)


def plot_inference(study, figure):
    x_key = _noise_axis(study)
    if x_key is None:
        _design_bars(study, figure)
        return
    _accuracy_lines(study, figure.add_subplot(1, 1, 1), x_key)


def plot_train(study, figure):
    """Learning curves (the judged accuracy per epoch, mean over trials, one line per point) and
    the final accuracy per point: along a numeric axis with Wilson bands, or as bars."""
    import numpy as np

    epochs = study.file["epochs"]
    epoch = epochs["epoch"][()]
    per_epoch = epochs["accuracy"][()]  # [point, trial, epoch]; NaN for trials not yet done
    ax = figure.add_subplot(1, 2, 1)
    for p in range(len(study.index)):
        done = study.file["points"]["done"][p].astype(bool)
        if not done.any():
            continue
        ax.plot(epoch, 100 * np.nanmean(per_epoch[p][done], axis=0), marker=".",
                label=textwrap.fill(study.point_label(p), 40))
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy after the epoch (%)")
    ax.set_title("learning curves (mean over trials)", fontsize="small")
    ax.legend(fontsize="x-small")
    ax.grid(alpha=0.3)
    x_key = _noise_axis(study)
    right = figure.add_subplot(1, 2, 2)
    if x_key is not None:
        _accuracy_lines(study, right, x_key)
        right.set_title("final accuracy", fontsize="small")
        return
    accuracy, _ = study.summary("accuracy")
    points = np.arange(len(study.index))
    mean = 100 * accuracy["mean"]
    err = np.nan_to_num([mean - 100 * accuracy["ci_low"], 100 * accuracy["ci_high"] - mean])
    right.barh(points, mean, xerr=err, capsize=3)
    right.set_yticks(points, [textwrap.fill(study.point_label(p), 40) for p in points], fontsize="x-small")
    right.invert_yaxis()
    right.set_xlabel("final accuracy (%), 95 % Wilson interval")
    right.grid(alpha=0.3, axis="x")


def plot_switching(study, figure):
    import numpy as np

    p_switch, _ = study.summary("p_switch")
    curves = study.file["curves"]
    current, current_units = _scaled(curves["current_A"][()], "A")
    pulses = curves["pulse_width_s"][()]
    ax = figure.add_subplot(1, 1, 1)
    for p in range(len(study.index)):
        for j, pulse in enumerate(pulses):
            width, width_units = _scaled(np.array([pulse]), "s")
            label = f"{width[0]:g} {width_units}" + (f", {study.point_label(p)}" if study.keys else "")
            line, = ax.plot(current, p_switch["mean"][p, :, j], marker="o", label=label)
            ax.fill_between(current, p_switch["ci_low"][p, :, j], p_switch["ci_high"][p, :, j],
                            color=line.get_color(), alpha=0.2)
    ax.set_xlabel(_label("heavy-metal current", current_units))
    ax.set_ylabel("switching probability P_sw (1)")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(title="pulse width (95 % Wilson bands)", fontsize="small")
    ax.grid(alpha=0.3)


def plot_cost(study, figure):
    """Per design: energy per image and area, each stacked by component, latency per image and
    the energy-delay product."""
    import numpy as np

    points = np.arange(len(study.index))
    labels = [textwrap.fill(study.point_label(p), 30) for p in points]
    panels = [("energy_J", "energy per image", "energy_by_component_J", "energy"),
              ("latency_s", "latency per image", None, None),
              ("area_m2", "area", "area_by_component_m2", "area"),
              ("edp_J_s", "energy-delay product", None, None)]
    for i, (metric, title, parts, names) in enumerate(panels):
        ax = figure.add_subplot(2, 2, i + 1)
        summary, units = study.summary(metric)
        total, scaled_units = _scaled(summary["mean"], units)
        factor = np.divide(total, summary["mean"], out=np.ones_like(total), where=summary["mean"] != 0)
        if parts and parts in study.file["trials"] and names in study.file.get("components", {}):
            by_part = study.file["trials"][parts][()][:, 0, :] * factor[:, None]  # [point, component]
            part_names = [_text(n) for n in study.file["components"][names][()]]
            bottom = np.zeros(len(points))
            for c, name in enumerate(part_names):
                if not np.any(by_part[:, c]):
                    continue
                ax.bar(points, by_part[:, c], bottom=bottom, label=name)
                bottom += by_part[:, c]
            ax.legend(fontsize="x-small")
        else:
            ax.bar(points, total, color=f"C{i}")
        ax.set_xticks(points, labels if i >= 2 else [""] * len(points), rotation=30, ha="right", fontsize="x-small")
        ax.set_ylabel(_label(title, scaled_units), fontsize="small")
        ax.set_title(title, fontsize="small")
        ax.grid(axis="y", alpha=0.3)


PLOTS = {"inference": plot_inference, "switching": plot_switching, "cost": plot_cost, "train": plot_train}


def plot(results, output=None):
    """Writes the figure of a cimmc.study file; returns the figure's path."""
    output = output or os.path.splitext(results)[0] + ".png"
    extension = os.path.splitext(output)[1].lower()
    if extension not in FORMATS:
        raise PlotError(f"{output}: unknown figure format '{extension}'; expected {', '.join(FORMATS)}")
    folder = os.path.dirname(output)
    if folder and not os.path.isdir(folder):
        raise PlotError(f"{output}: folder '{folder}' does not exist")
    study = Study(results)
    if study.kind not in PLOTS:
        raise PlotError(f"{results}: no plot for studies of kind '{study.kind}'")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wide = study.kind in ("cost", "train") or (study.kind == "inference" and _noise_axis(study) is None)
    figure = plt.figure(figsize=(11, 8) if study.kind == "cost" else (11, 5) if wide else (7, 5))
    PLOTS[study.kind](study, figure)
    figure.suptitle(textwrap.fill(f"{study.name} ({study.kind} study)", 70), fontsize="medium")
    figure.tight_layout()
    temporary = os.path.join(folder or ".", f".{os.path.basename(output)}.tmp{extension}")
    figure.savefig(temporary, dpi=150)
    os.replace(temporary, output)
    plt.close(figure)
    return output


def noise_tolerance(results):
    """For an inference study with a noise axis: per design (line), its accuracy at the lowest
    noise, the highest noise at which it loses less than 1 point and the lowest at which it loses
    more than 10; then, for each pair of designs, the noise levels where one loses more than 10
    points while the other loses less than 1 (or that there is none). Losses are of the mean
    accuracy against the design's own lowest-noise point. Returns text lines ([] for other studies)."""
    study = Study(results)
    if study.kind != "inference":
        return []
    key = _noise_axis(study)
    if key is None or not key.startswith("noise."):
        return []
    accuracy, _ = study.summary("accuracy")
    a = study.keys.index(key)
    values, units = study.axis(key)
    unit = f" {units}" if units else ""
    lines = {}
    for p in range(len(study.index)):
        lines.setdefault(study.point_label(p, skip=(key,)), []).append(p)
    loss = {}
    out = [f"noise tolerance along {key} (loss of mean accuracy against each design's own lowest-noise point):"]
    for label, all_points in lines.items():
        all_points = sorted(all_points, key=lambda p: study.index[p, a])
        # Only points with finished trials count (a file of a study still running has NaN means).
        points = [p for p in all_points if math.isfinite(float(accuracy["mean"][p]))]
        if not points or points[0] != all_points[0]:
            out.append(f"  {label}: " + ("no finished trials yet" if not points else
                       f"the lowest level {float(values[study.index[all_points[0], a]]):g}{unit} has no finished trials yet"))
            continue
        x = [float(values[study.index[p, a]]) for p in points]
        mean = [100 * float(accuracy["mean"][p]) for p in points]
        drop = {xi: mean[0] - m for xi, m in zip(x, mean)}
        pending = len(all_points) - len(points)
        loss[label] = drop
        flat = x[0]  # the highest level up to which every level loses < 1 point
        for xi in x:
            if drop[xi] >= 1:
                break
            flat = xi
        above_10 = [xi for xi in x if drop[xi] > 10]
        out.append(f"  {label}: {mean[0]:.2f} % at {x[0]:g}{unit}; loses < 1 point up to {flat:g}{unit}; "
                   + (f"> 10 points from {min(above_10):g}{unit}" if above_10 else f"never > 10 points (up to {x[-1]:g}{unit})")
                   + (f" ({pending} level{'s' if pending > 1 else ''} not finished yet)" if pending else ""))
    labels = list(loss)
    for i, first in enumerate(labels):
        for second in labels[i + 1:]:
            found = False
            for worse, better in ((first, second), (second, first)):
                levels = [xi for xi in loss[worse] if xi in loss[better] and loss[worse][xi] > 10 and loss[better][xi] < 1]
                if levels:
                    found = True
                    out.append(f"  {worse} loses > 10 points while {better} loses < 1 at {key} = "
                               + ", ".join(f"{xi:g}" for xi in sorted(levels)) + unit)
            if not found:
                out.append(f"  no swept level where one of {first} and {second} loses > 10 points while the other loses < 1")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="cimmc plot", description="Plot a cimmc.study results file.")
    parser.add_argument("results", help="results file written by cimmc run")
    parser.add_argument("-o", "--output", help="figure file (.png, .pdf or .svg; default: RESULTS with .png)")
    args = parser.parse_args(argv)
    try:
        print(f"wrote {plot(args.results, args.output)}")
        for line in noise_tolerance(args.results):
            print(line)
    except PlotError as error:
        print(f"cimmc plot: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
