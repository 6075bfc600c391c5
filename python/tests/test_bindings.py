"""Tests of the Python bindings (python/README.md), run by ctest as python.bindings.

Environment (set by python/CMakeLists.txt): PYTHONPATH with the source package and the built
extension, CIMMC_TEST_CLI (the cimmc program, to compare with), CIMMC_TEST_WORK (a scratch
folder) and CIMMC_SOURCE_DIR (the source tree: data/, tests/studies/specs/).
"""

import importlib
import math
import os
import subprocess
import unittest

import h5py
import numpy as np

import cimmc

SOURCE = os.environ.get("CIMMC_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
WORK = os.environ.get("CIMMC_TEST_WORK", "/tmp")
CLI = os.environ.get("CIMMC_TEST_CLI")


def work(name):
    os.makedirs(WORK, exist_ok=True)
    return os.path.join(WORK, name)


class Package(unittest.TestCase):
    def test_extension_and_plot(self):
        self.assertTrue(cimmc.HAVE_CORE, cimmc.CORE_IMPORT_ERROR)
        self.assertRegex(cimmc.__version__, r"^\d+\.\d+\.\d+")
        importlib.import_module("cimmc.plot")  # the plot module still imports

        self.assertIs(cimmc.load_device, cimmc._core.load_device)


class Device(unittest.TestCase):
    def test_presets_and_fields(self):
        self.assertIn("perpendicular_sot", cimmc.device_presets())
        p = cimmc.load_device("perpendicular_sot")
        self.assertEqual(p.name, "perpendicular_sot")
        self.assertTrue(os.path.exists(cimmc.device_file("perpendicular_sot")))
        d = p.derive()
        self.assertGreater(d.thermal_stability, 10)
        self.assertTrue(math.isfinite(d.critical_current_A))
        self.assertGreater(d.critical_current_A, 0)
        # Delta is proportional to 1 / T: edit a field in place and derive again.
        t0 = p.temperature_K
        p.temperature_K = 2 * t0
        self.assertAlmostEqual(p.derive().thermal_stability, d.thermal_stability / 2, delta=1e-9 * d.thermal_stability)
        p.free_layer.damping = 0.05
        self.assertEqual(p.free_layer.damping, 0.05)
        p.external_field_A_per_m = [1000.0, 0.0, 0.0]
        self.assertEqual(list(p.external_field_A_per_m), [1000.0, 0.0, 0.0])
        q = p.checked()
        self.assertEqual(q.free_layer.damping, 0.05)
        self.assertIn("[device]", p.to_toml())

    def test_overrides_and_file(self):
        p = cimmc.load_device("perpendicular_sot", ["free_layer.damping=0.1"])
        self.assertEqual(p.free_layer.damping, 0.1)
        r = p.with_overrides(["temperature_K=350"])
        self.assertEqual(r.temperature_K, 350)
        path = work("device_copy.toml")
        with open(path, "w") as f:
            f.write(r.to_toml())
        s = cimmc.load_device(path)
        self.assertEqual(s.temperature_K, 350)
        self.assertEqual(s.free_layer.damping, 0.1)
        e = p.write_energy_J(100e-6, 1e-9)
        self.assertAlmostEqual(e, (100e-6) ** 2 * p.derive().heavy_metal_resistance_ohm * 1e-9, delta=1e-6 * e)


class Switching(unittest.TestCase):
    currents = [40e-6, 80e-6, 120e-6]
    pulses = [1e-9, 2e-9]

    def test_monte_carlo_matches_cli(self):
        if not CLI:
            self.skipTest("CIMMC_TEST_CLI not set")
        out = work("switching_cli.h5")
        subprocess.run([CLI, "--quiet", "switching", "--device", "stox_converter", "--current-A",
                        ",".join(repr(c) for c in self.currents), "--pulse-s", ",".join(repr(t) for t in self.pulses),
                        "--trials", "48", "--seed", "7", "-o", out], check=True, stdout=subprocess.DEVNULL)
        for threads in (1, 2):
            c = cimmc.switching_probability("stox_converter", self.currents, self.pulses, trials=48, seed=7,
                                            threads=threads)
            with h5py.File(out, "r") as f:
                np.testing.assert_array_equal(c.switched_count, f["/monte_carlo/switched_count"][...])
                np.testing.assert_array_equal(c.probability, f["/monte_carlo/p_switch"][...])
                np.testing.assert_array_equal(c.ci_low, f["/monte_carlo/ci_low"][...])
                np.testing.assert_array_equal(c.mean_switching_time_s, f["/monte_carlo/mean_switching_time_s"][...])
                self.assertEqual(c.time_step_s, f["/monte_carlo/time_step_s"][()])
        self.assertEqual(c.probability.shape, (3, 2))
        self.assertFalse(c.probability.flags.writeable)
        np.testing.assert_array_equal(c.currents_A, self.currents)
        # Another seed gives other numbers.
        other = cimmc.switching_probability("stox_converter", self.currents, self.pulses, trials=48, seed=8)
        self.assertFalse(np.array_equal(other.switched_count, c.switched_count))
        # The table the command stored is the one from_monte_carlo builds.
        stored = cimmc.SwitchingTable.load(out)
        built = cimmc.SwitchingTable.from_monte_carlo(c, "stox_converter")
        np.testing.assert_array_equal(stored.values, built.values)

    def test_params_object_and_fits(self):
        p = cimmc.load_device("stox_converter")
        c = cimmc.switching_probability(p, np.linspace(20e-6, 160e-6, 8), 1e-9, trials=64, seed=3)
        self.assertEqual(c.probability.shape, (8, 1))
        self.assertTrue(np.shares_memory(c.probability, c.probability))
        scalar = cimmc.switching_probability(p, 160e-6, 1e-9, trials=8, seed=3)
        self.assertEqual(scalar.probability.shape, (1, 1))
        self.assertTrue(np.all((c.ci_low <= c.probability) & (c.probability <= c.ci_high)))
        fit = cimmc.fit_sigmoid(c.currents_A, c.probability[:, 0])
        self.assertTrue(20e-6 < fit.i50_A < 160e-6)
        self.assertEqual(fit(np.array([fit.i50_A]))[0], 0.5)

    def test_analytic_model(self):
        p = cimmc.load_device("perpendicular_sot")
        d = p.derive()
        m = cimmc.ThermalActivationModel.for_device(p, attempt_time_s=1e-9, exponent=2.0)
        self.assertEqual(m.thermal_stability, d.thermal_stability)
        i = np.array([0.2, 0.5, 0.8]) * d.critical_current_A
        t = 1e-3
        tau = 1e-9 * np.exp(d.thermal_stability * (1 - i / d.critical_current_A) ** 2)
        np.testing.assert_allclose(m.probability(i, t), 1 - np.exp(-t / tau), rtol=1e-12)
        np.testing.assert_allclose(m.switching_time_s(i), tau, rtol=1e-12)
        grid = m.probability(i[:, None], np.array([1e-9, 1e-6, 1e-3])[None, :])
        self.assertEqual(grid.shape, (3, 3))
        table = cimmc.SwitchingTable.from_model(m, i, [1e-9, 1e-6, 1e-3], "perpendicular_sot")
        np.testing.assert_allclose(table.values, grid, rtol=1e-12)

    def test_lookup_table(self):
        table = cimmc.SwitchingTable.load(os.path.join(SOURCE, "data", "tables", "stox_converter_1ns.h5"))
        self.assertEqual(table.values.shape, (len(table.currents_A), len(table.pulse_widths_s)))
        i = np.asarray(table.currents_A)
        t = table.pulse_widths_s[0]
        np.testing.assert_allclose(table.probability(i, t), table.values[:, 0], atol=1e-12)
        dense = table.probability(np.linspace(i[0], i[-1], 101), t)
        self.assertTrue(np.all(np.diff(dense) >= -1e-12))
        self.assertTrue(np.all((dense >= 0) & (dense <= 1)))
        self.assertEqual(float(table.probability(i[-1] * 10, t)), table.values[-1, 0])
        # values is a read-only view of the table's memory, not a copy per access.
        self.assertTrue(np.shares_memory(table.values, table.values))
        self.assertFalse(table.values.flags.writeable)
        path = work("table_copy.h5")
        table.save(path, seed=1)
        np.testing.assert_array_equal(cimmc.SwitchingTable.load(path).values, table.values)

    def test_trajectory(self):
        r = cimmc.trajectory("stox_converter", 150e-6, 1e-9, trajectories=3, seed=5, record_every_steps=20)
        m, t = r["m"], r["time_s"]
        self.assertEqual(m.shape, (3, len(t), 3))
        self.assertTrue(np.all(np.diff(t) > 0))
        np.testing.assert_allclose(np.linalg.norm(m, axis=2), 1.0, atol=1e-9)
        self.assertEqual(r["switched"].dtype, np.bool_)
        self.assertEqual(r["final_m"].shape, (3, 3))
        again = cimmc.trajectory("stox_converter", 150e-6, 1e-9, trajectories=3, seed=5, record_every_steps=20)
        np.testing.assert_array_equal(again["m"], m)


class Readouts(unittest.TestCase):
    def test_noise(self):
        ps = np.arange(0, 100, dtype=np.float32).reshape(4, 25)
        same = cimmc.apply_noise(ps, cimmc.NoiseParams())
        np.testing.assert_array_equal(same, ps)
        noise = cimmc.NoiseParams.physical(sense_sigma_lsb=2.0)
        big = np.full(200000, 10.0, dtype=np.float32)
        v = cimmc.apply_noise(big, noise, seed=4)
        self.assertAlmostEqual(float(np.std(v)), 2.0, delta=0.03)
        self.assertAlmostEqual(float(np.mean(v)), 10.0, delta=0.03)
        np.testing.assert_array_equal(v, cimmc.apply_noise(big, noise, seed=4))
        self.assertFalse(np.array_equal(v, cimmc.apply_noise(big, noise, seed=4, trial=1)))
        # In place, through out=.
        copy = big.copy()
        r = cimmc.apply_noise(copy, noise, seed=4, out=copy)
        self.assertIs(r, copy)
        np.testing.assert_array_equal(copy, v)
        # Cell noise grows with the signal: variance |ps| cell_sigma^2.
        cell = cimmc.NoiseParams.physical(cell_sigma_lsb=0.5)
        w = cimmc.apply_noise(np.full(200000, 64.0, dtype=np.float32), cell, seed=1)
        self.assertAlmostEqual(float(np.std(w)), 0.5 * 8.0, delta=0.05)
        rel = cimmc.NoiseParams.relative_full_scale(0.01)
        with self.assertRaisesRegex(ValueError, "full_scale"):
            cimmc.apply_noise(big, rel)
        u = cimmc.apply_noise(big, rel, 128.0, seed=2)
        self.assertAlmostEqual(float(np.std(u)), 1.28, delta=0.02)

    def test_hardware_readouts(self):
        hw = cimmc.load_hardware("adc_baseline")
        self.assertEqual(hw.readout.kind, "adc")
        ps = np.array([-300.0, -3.4, 0.0, 2.6, 64.0, 1000.0], dtype=np.float32)
        r = hw.readout
        r.adc.bits = 4  # codes -7..7 over [-128, 128]: step 128 / 7
        q = cimmc.apply_readout(ps, r, 128.0)
        step = np.float32(128.0 / 7)
        expected = np.clip(np.rint(ps * (np.float32(1) / step)), -7, 7) * step
        np.testing.assert_allclose(q, expected, rtol=1e-6)
        ideal = cimmc.ReadoutParams()
        np.testing.assert_array_equal(cimmc.apply_readout(ps, ideal), ps)
        lcu = cimmc.ReadoutParams()
        lcu.kind = "zebra_lcu"
        with self.assertRaisesRegex(ValueError, "CrossbarLayer"):
            cimmc.apply_readout(ps, lcu)

    def test_readout_sampling(self):
        # [readout] sampling (docs/rare_event_sampling.md), read and written by its names.
        self.assertEqual(cimmc.ReadoutParams().sampling, "auto")
        hw = cimmc.load_hardware("zebra_lcu")
        self.assertEqual(hw.readout.sampling, "auto")
        for name in ("direct", "rare_event", "auto", "rare_event"):
            hw.readout.sampling = name
            self.assertEqual(hw.readout.sampling, name)
        with self.assertRaisesRegex(ValueError, r"readout\.sampling 'rare': expected auto, direct or rare_event"):
            hw.readout.sampling = "rare"
        self.assertEqual(hw.readout.sampling, "rare_event")  # unchanged
        self.assertEqual(cimmc.load_hardware("adc_baseline", ['readout.sampling="direct"']).readout.sampling, "direct")
        self.assertEqual(cimmc.load_hardware("zebra_lcu", ["readout.sampling=rare_event"]).readout.sampling,
                         "rare_event")
        with self.assertRaisesRegex(ValueError, r"readout\.sampling.*\"rare_event\""):
            cimmc.load_hardware("adc_baseline", ['readout.sampling="rare"'])

    def test_stochastic_mtj(self):
        hw = cimmc.load_hardware("stox_mtj_t4")
        r = hw.readout
        self.assertEqual(r.kind, "stochastic_mtj")
        ps = np.linspace(-64, 64, 9, dtype=np.float32)
        a = cimmc.apply_readout(ps, r, hw.full_scale, seed=3)
        np.testing.assert_array_equal(a, cimmc.apply_readout(ps, r, hw.full_scale, seed=3))
        self.assertEqual(a.dtype, np.float32)
        # T samples give T + 1 levels; with many samples and inverse decoding E[ps_hat] follows ps.
        many = np.repeat(ps, 20000)
        r.mtj.decode = "inverse"
        v = cimmc.apply_readout(many, r, hw.full_scale, seed=1, samples=64).reshape(9, -1).mean(axis=1)
        np.testing.assert_allclose(v, ps, atol=0.03 * hw.full_scale)
        x = np.linspace(-1, 1, 5, dtype=np.float32)
        p = r.mtj.probability(x)
        self.assertTrue(np.all(np.diff(p) > 0))
        self.assertEqual(r.mtj.expected_slope(points=33).shape, (33,))


class Crossbar(unittest.TestCase):
    def test_exact_gemm(self):
        rng = np.random.default_rng(1)
        w = rng.integers(-128, 128, size=(10, 300), dtype=np.int8)
        a = rng.integers(0, 256, size=(7, 300), dtype=np.uint8)
        out = cimmc.crossbar_gemm("ideal", w, a)
        np.testing.assert_array_equal(out, a.astype(np.int64) @ w.astype(np.int64).T)
        # Other integer dtypes are converted with a range check.
        np.testing.assert_array_equal(cimmc.crossbar_gemm("ideal", w.astype(np.int64), a.astype(np.int32)), out)
        with self.assertRaisesRegex(ValueError, "does not fit in uint8"):
            cimmc.crossbar_gemm("ideal", w, a.astype(np.int32) + 1)

    def test_layer_with_noise(self):
        rng = np.random.default_rng(2)
        w = rng.integers(-8, 8, size=(16, 128), dtype=np.int8)
        a = rng.integers(0, 16, size=(12, 128), dtype=np.uint8)
        hw = cimmc.load_hardware("adc_baseline", ["noise.sense_sigma_lsb=1.0"])
        layer = cimmc.CrossbarLayer(hw, w)
        self.assertEqual((layer.n, layer.k), (16, 128))
        out, counts = layer.run(a, seed=5, return_counters=True)
        self.assertEqual(out.shape, (12, 16))
        self.assertGreater(counts["adc_conversions"], 0)
        np.testing.assert_array_equal(out, layer.run(a, seed=5))
        # Row m's noise does not depend on the batch it came in.
        np.testing.assert_array_equal(layer.run(a[3:5], seed=5, first_image=3), out[3:5])
        exact = a.astype(np.int64) @ w.astype(np.int64).T
        self.assertFalse(np.array_equal(out, exact))
        # An ADC with a level per integer PS and no noise is exact.
        quiet = cimmc.load_hardware("adc_baseline", ["noise.sense_sigma_lsb=0", "noise.cell_sigma_lsb=0",
                                                     "readout.adc.bits=8"])
        quiet_layer = cimmc.CrossbarLayer(quiet, w)
        self.assertFalse(quiet_layer.needs_calibration)
        np.testing.assert_array_equal(quiet_layer.run(a, seed=5), exact)

    def test_sampling_methods(self):
        # Noise small against a level step of 1, so that "auto" picks rare-event sampling: the bound
        # on every sense's error probability (docs/rare_event_sampling.md) is <= 0.01, for the LCU
        # 2 (1 - Phi(0.5 / 0.15)) = 9e-4, for the 9-bit ADC (step 1; the bound takes two sides)
        # 2 (1 - Phi(0.5 / (0.13 sqrt 2))) = 7e-3. Yet both methods make errors (per sense 9e-4 and
        # 1.2e-4; 4.7e6 LCU senses, 262144 conversions): the same distribution from different
        # random numbers, so their outputs differ; each is reproducible.
        rng = np.random.default_rng(4)
        w = rng.integers(-128, 128, size=(16, 256), dtype=np.int8)
        a = rng.integers(0, 256, size=(128, 256), dtype=np.uint8)
        exact = a.astype(np.int64) @ w.astype(np.int64).T
        exact_cells = ["noise.cell_sigma_lsb=0", "noise.offset_sigma_lsb=0"]
        lcu = cimmc.load_hardware("zebra_lcu", exact_cells + ["noise.sense_sigma_lsb=0.15"])
        adc = cimmc.load_hardware("adc_baseline", exact_cells + ["noise.sense_sigma_lsb=0.13", "readout.adc.bits=9"])
        for name, hw in (("zebra_lcu", lcu), ("9-bit adc", adc)):
            out = {}
            for sampling in ("auto", "direct", "rare_event"):
                hw.readout.sampling = sampling
                layer = cimmc.CrossbarLayer(hw, w)
                self.assertFalse(layer.needs_calibration)
                out[sampling] = layer.run(a, seed=9, threads=1)
                what = f"{name}, sampling {sampling}"
                np.testing.assert_array_equal(layer.run(a, seed=9, threads=2), out[sampling], err_msg=what)
                np.testing.assert_array_equal(cimmc.CrossbarLayer(hw, w).run(a, seed=9), out[sampling], err_msg=what)
                # The noise is there and changes with the seed.
                self.assertFalse(np.array_equal(out[sampling], exact), what)
                self.assertFalse(np.array_equal(layer.run(a, seed=10), out[sampling]), what)
            self.assertFalse(np.array_equal(out["direct"], out["rare_event"]), name)
            np.testing.assert_array_equal(out["auto"], out["rare_event"], err_msg=name)
        # At zebra_lcu.toml's own noise (0.6 LSB per sense) errors are not rare: "auto" samples directly.
        hw = cimmc.load_hardware("zebra_lcu")
        out = {}
        for sampling in ("auto", "direct", "rare_event"):
            hw.readout.sampling = sampling
            out[sampling] = cimmc.CrossbarLayer(hw, w).run(a, seed=9)
        np.testing.assert_array_equal(out["auto"], out["direct"])
        self.assertFalse(np.array_equal(out["auto"], out["rare_event"]))

    def test_rare_event_sampling_needs_an_adc_or_lcu(self):
        only = r"readout\.sampling.*only with kind = \"adc\" or \"zebra_lcu\""
        w = np.ones((4, 64), dtype=np.int8)
        for name in ("ideal", "stox_mtj_t4"):
            with self.assertRaisesRegex(ValueError, only):
                cimmc.load_hardware(name, ['readout.sampling="rare_event"'])
            hw = cimmc.load_hardware(name, ['readout.sampling="direct"'])
            hw.validate()
            cimmc.CrossbarLayer(hw, w)
            hw.readout.sampling = "rare_event"  # allowed while other fields are edited ...
            with self.assertRaisesRegex(ValueError, only):  # ... but not in a layer
                hw.validate()
            with self.assertRaisesRegex(ValueError, only):
                cimmc.CrossbarLayer(hw, w)
            hw.readout.kind = "adc"
            hw.validate()
            cimmc.CrossbarLayer(hw, w)


class Studies(unittest.TestCase):
    def test_run_study(self):
        out = work("cost_tiny.h5")
        path = cimmc.run_study(os.path.join(SOURCE, "tests", "studies", "specs", "cost_tiny.toml"),
                               ["study.name=python"], output=out, threads=1, force=True)
        self.assertEqual(os.path.abspath(path), os.path.abspath(out))
        with h5py.File(path, "r") as f:
            self.assertEqual(f.attrs["filetype"].decode() if isinstance(f.attrs["filetype"], bytes)
                             else f.attrs["filetype"], "cimmc.study")
            self.assertIn("axes", f)


class Errors(unittest.TestCase):
    def test_bad_input_is_value_error_with_the_message(self):
        with self.assertRaises(ValueError) as e:
            cimmc.load_device("perpendicular_sot", ["free_layer.damping=-1"])
        message = str(e.exception)
        self.assertIn("damping", message)
        if CLI:
            r = subprocess.run([CLI, "switching", "--device", "perpendicular_sot", "--set", "free_layer.damping=-1",
                                "--current-A", "1e-4", "--pulse-s", "1e-9", "--trials", "1", "-o",
                                work("never.h5")], capture_output=True, text=True)
            self.assertEqual(r.returncode, 2)
            self.assertIn(message, r.stderr)
        p = cimmc.load_device("perpendicular_sot")
        p.free_layer.damping = -1
        with self.assertRaisesRegex(ValueError, "damping"):
            p.checked()
        with self.assertRaisesRegex(ValueError, "trials must be >= 1"):
            cimmc.switching_probability("perpendicular_sot", [1e-4], [1e-9], trials=0)
        with self.assertRaisesRegex(ValueError, "pulse width"):
            cimmc.switching_probability("perpendicular_sot", [1e-4], [-1e-9], trials=1)
        with self.assertRaises(ValueError):
            cimmc.load_hardware("adc_baseline", ["readout.adc.bits=99"])
        with self.assertRaises(ValueError):
            cimmc.run_study(os.path.join(SOURCE, "tests", "studies", "specs", "cost_tiny.toml"), ["study.nonsense=1"],
                            output=work("never_study.h5"))

    def test_file_errors_are_os_errors(self):
        with self.assertRaises(OSError):
            cimmc.load_device(work("no_such_device.toml"))
        with self.assertRaises(OSError):
            cimmc.SwitchingTable.load(work("no_such_table.h5"))
        with self.assertRaises(OSError):
            cimmc.run_study(work("no_such_study.toml"))


if __name__ == "__main__":
    unittest.main()
