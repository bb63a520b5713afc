#!/usr/bin/env python3
"""Turns `db_bench_drift --json=PATH` output into PNG charts with gnuplot.

    python3 scripts/plot_bench.py results.json [out_dir]

Writes, for what the results hold:
- out_dir/recall_qps.png: search QPS (log scale) against recall@k for every
  system of the run (drift's nprobe sweep, drift's recall targets, hnswlib's ef
  sweep, brute force), the chart a reader compares systems with;
- out_dir/drift_sim_<workload>.png: vectors scanned per query, recall@k and
  largest/mean bucket over the phases of drift_sim, for drift, drift-static and
  drift-oracle.
out_dir (default: the JSON file's directory) is created if missing.
Needs gnuplot (Debian package gnuplot-nox, which scripts/setup.sh installs).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile


def search_series(results):
    """{label: [(recall, qps, point label)]} from the search measurements."""
    series = {}
    for r in results:
        if r.get("benchmark") != "search" or "recall_at_k" not in r:
            continue
        params = r.get("params", {})
        system = r["system"]
        if "simd" in params:  # e.g. Debian's faiss: "faiss simd=generic"
            system += " simd=" + params["simd"]
        if "recall_target" in params:
            label = system + (" (recall target, density routing)"
                              if params.get("routing") == "density" else
                              " (recall target)")
            point = params["recall_target"]
        elif "nprobe" in params:
            label, point = system + " (nprobe)", params["nprobe"]
        elif "ef" in params:
            label, point = system + " (ef)", params["ef"]
        else:
            label, point = system, ""
        series.setdefault(label, []).append(
            (r["recall_at_k"], r["ops_per_sec"], point))
    for points in series.values():
        points.sort()
    return series


def run_gnuplot(script):
    """Runs a gnuplot script; its stdout is captured, so a PNG never lands on
    the terminal (gnuplot writes there when `set output` fails)."""
    out = subprocess.run(["gnuplot"], input=script.encode(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = out.stderr.decode(errors="replace")
    if out.returncode != 0:
        sys.exit("gnuplot failed:\n" + err)
    sys.stderr.write(err)  # warnings, e.g. a series outside the axes


def terminal(width, height):
    return ("set terminal pngcairo size %d,%d" if _has_cairo() else
            "set terminal png size %d,%d") % (width, height)


def plot_drift_sim(results, out_dir):
    """One PNG per drift_sim workload: three panels over the phases."""
    sims = [r for r in results if r.get("benchmark") == "drift_sim"]
    for workload in sorted({r["params"]["workload"] for r in sims}):
        rows = [r for r in sims if r["params"]["workload"] == workload]
        png = os.path.join(out_dir, "drift_sim_%s.png" % workload)
        with tempfile.TemporaryDirectory() as tmp:
            files = {}
            for system in sorted({r["system"] for r in rows}):
                path = os.path.join(tmp, system + ".dat")
                with open(path, "w") as f:
                    for r in sorted((r for r in rows if r["system"] == system),
                                    key=lambda r: int(r["params"]["phase"])):
                        f.write("%s %g %g %g\n" % (
                            r["params"]["phase"], r["scanned_per_query"],
                            r["recall_at_k"], r["max_over_mean_bucket"]))
                files[system] = path

            def panel(column, ylabel, extra=""):
                lines = ["'%s' using 1:%d with linespoints lw 2 pt 7 title '%s'"
                         % (path, column, system)
                         for system, path in files.items()]
                return [extra, "set ylabel '%s'" % ylabel,
                        "plot " + ", ".join(lines), "unset logscale y"]

            script = "\n".join([
                terminal(900, 1000), "set output '%s'" % png,
                "set termoption noenhanced", "set grid",
                "set multiplot layout 3,1 title 'drift_sim: %s'" % workload,
                "set xlabel 'phase'", "set key top left"] +
                panel(2, "vectors scanned per query", "set logscale y") +
                panel(3, "recall@10 (default effort)", "set yrange [0.9:1]") +
                panel(4, "largest / mean bucket", "set yrange [0:*]") +
                ["unset multiplot"])
            run_gnuplot(script)
        print("wrote " + png)


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    with open(argv[1]) as f:
        results = json.load(f)["results"]
    out_dir = argv[2] if len(argv) > 2 else os.path.dirname(argv[1]) or "."
    if shutil.which("gnuplot") is None:
        sys.exit("gnuplot not found (scripts/setup.sh installs it: "
                 "apt-get install gnuplot-nox)")
    os.makedirs(out_dir, exist_ok=True)
    plot_drift_sim(results, out_dir)
    series = search_series(results)
    if not series:
        if not any(r.get("benchmark") == "drift_sim" for r in results):
            sys.exit("no search or drift_sim results in " + argv[1])
        return
    k = next((r["k"] for r in results if "k" in r), 10)
    dataset = next((r["params"]["dataset"] for r in results
                    if "dataset" in r.get("params", {})), "")
    png = os.path.join(out_dir, "recall_qps.png")
    with tempfile.TemporaryDirectory() as tmp:
        plots = []
        for i, (label, points) in enumerate(sorted(series.items())):
            data = os.path.join(tmp, "s%d.dat" % i)
            with open(data, "w") as f:
                for recall, qps, point in points:
                    f.write("%g %g \"%s\"\n" % (recall, qps, point))
            # Explicit colours: the label plots would otherwise advance the
            # line type and wrap two series onto one colour.
            plots.append("'%s' using 1:2 with linespoints lw 2 pt 7 lc %d "
                         "title '%s'" % (data, i + 1, label))
            plots.append("'%s' using 1:2:3 with labels offset 0.6,0.6 "
                         "font ',8' notitle" % data)
        script = "\n".join([
            terminal(900, 600),
            "set output '%s'" % png,
            "set termoption noenhanced",
            # The interesting region; points below it are off the chart.
            "set xrange [0.9:1.002]",
            "set title 'search: QPS vs recall@%d %s (one thread, one query "
            "per call)'" % (k, dataset),
            "set xlabel 'recall@%d'" % k,
            "set ylabel 'queries per second'",
            "set logscale y",
            "set grid",
            "set key bottom left",
            "plot " + ", ".join(plots),
        ])
        run_gnuplot(script)
    print("wrote " + png)


def _has_cairo():
    out = subprocess.run(["gnuplot", "-e", "set terminal"],
                         capture_output=True, text=True)
    return "pngcairo" in (out.stdout + out.stderr)


if __name__ == "__main__":
    main(sys.argv)
