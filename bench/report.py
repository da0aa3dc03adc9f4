"""Results out: raw JSON under bench/results/ and the generated part of docs/benchmarks.md.

Only the text between the two markers in the doc is rewritten, so the method and the analysis
written around it survive a re-run.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from bench import imports, progress
from bench.settings import DOC, RESULTS

START = "<!-- bench:results:start -->"
END = "<!-- bench:results:end -->"
# The registry against the baseline, requests/s: the integrators' issue raised them from 0.5× for both.
RPS_RATIO_TARGETS = {"get": 0.8, "list": 0.9}
RSS_TARGET_MB = 250.0


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per app and scenario: requests/s over all rounds, latency as the mean of the rounds."""
    out: dict[str, Any] = {}
    for app in sorted({r["app"] for r in runs}):
        for scenario in sorted({r["scenario"] for r in runs}):
            mine = [r for r in runs if r["app"] == app and r["scenario"] == scenario]
            if not mine:
                continue
            requests = sum(r["requests"] for r in mine)
            seconds = sum(r["duration_s"] for r in mine)
            out.setdefault(app, {})[scenario] = {
                "rounds": len(mine),
                "requests": requests,
                "rps": requests / seconds if seconds else 0.0,
                "p50_ms": statistics.fmean(r["latency_ms"]["p50"] for r in mine),
                "p99_ms": statistics.fmean(r["latency_ms"]["p99"] for r in mine),
                "cpu_ms_per_request": sum(r["server_cpu_s"] for r in mine) * 1000 / requests if requests else 0.0,
                "server_cores": statistics.fmean(r["server_cores"] for r in mine),
                "errors": sum(sum(r["errors"].values()) for r in mine),
                "rss_peak_mb": max((r["rss_peak_mb"] or 0.0) for r in mine),
            }
    return out


def ratios(summary: dict[str, Any]) -> dict[str, float]:
    base, reg = summary.get("baseline", {}), summary.get("registry", {})
    return {s: reg[s]["rps"] / base[s]["rps"] for s in reg if s in base and base[s]["rps"]}


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for scenario, ratio in results["ratios"].items():
        target = RPS_RATIO_TARGETS[scenario]
        rows.append(
            {
                "target": f"{scenario}: registry ≥ {target}× baseline requests/s",
                "measured": f"{ratio:.2f}×",
                "met": ratio >= target,
            }
        )
    timed = results["progress"]
    rows.append(
        {
            "target": f"GET {progress.PATH} (province): median < {progress.TARGET_MS:g} ms",
            "measured": f"{timed['median_ms']} ms" if timed.get("ok") else _failed(timed),
            "met": timed.get("met"),
        }
    )
    imported = results["import"]
    if imported.get("job_id"):
        outcome = f"{imported['seconds']} s, status {imported['status']}"
        if imported.get("timed_out"):
            outcome = f"not finished after {imported['seconds']} s (status {imported['status']})"
    else:
        outcome = _failed(imported)
    rows.append(
        {
            "target": f"import of {imported['rows']:,} enterprises (CSV): < {imports.TARGET_S:g} s",
            "measured": outcome,
            "met": imported.get("met"),
        }
    )
    rss = results["registry_rss_peak_mb"]
    rows.append(
        {
            "target": f"registry RSS during the read load < {RSS_TARGET_MB:g} MB",
            "measured": f"{rss} MB",
            "met": rss < RSS_TARGET_MB,
        }
    )
    if imported.get("rss_peak_mb") is not None:
        peak = imported["rss_peak_mb"]
        rows.append(
            {
                "target": f"registry RSS during the import < {RSS_TARGET_MB:g} MB",
                "measured": f"{peak} MB",
                "met": peak < RSS_TARGET_MB,
            }
        )
    return rows


def _failed(result: dict[str, Any]) -> str:
    return f"failed: status {result.get('status')} {str(result.get('body', ''))[:120]}"


def _verdict(met: bool | None) -> str:
    return "—" if met is None else ("met" if met else "**missed**")


def markdown(results: dict[str, Any]) -> str:
    m, s = results["machine"], results["settings"]
    lines = [
        START,
        f"## Latest results ({results['finished_at']})",
        "",
        f"Command: `{results['command']}` — {results['elapsed_s']:.0f} s in all. Raw numbers:",
        f"`bench/results/{results['file']}` (not committed).",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}; "
        f"Python {m['python']}; {m['postgres']}; {m['wrk']}; "
        + ", ".join(f"{k} {v}" for k, v in m["packages"].items())
        + ".",
        f"Load average at start {m['loadavg_start']}, at end {m['loadavg_end']}.",
        "",
        f"Data: {results['seed']['rows']['enterprise']:,} enterprises, {results['seed']['rows']['project']:,} "
        f"projects, {results['seed']['rows']['industry']:,} industries loaded in {results['seed']['seconds']:.1f} s "
        f"(+ migration {results['seed']['migrate_s']:.1f} s). Load: wrk, 1 thread, {s['connections']} connections, "
        f"{s['warmup_s']:g} s warm-up then {s['duration_s']:g} s measured, {s['rounds']} rounds "
        "(baseline→registry, then registry→baseline).",
        "",
        "| target | measured | |",
        "|---|---|---|",
        *(f"| {t['target']} | {t['measured']} | {_verdict(t['met'])} |" for t in results["targets"]),
        "",
        "| app | scenario | req/s | p50 ms | p99 ms | server CPU ms/req | server cores | peak RSS MB | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for app, scenarios in results["summary"].items():
        for scenario, row in scenarios.items():
            lines.append(
                f"| {app} | {scenario} | {row['rps']:.0f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | "
                f"{row['cpu_ms_per_request']:.2f} | {row['server_cores']:.2f} | {row['rss_peak_mb']:.0f} | "
                f"{row['errors']} |"
            )
    lines += [
        "",
        "Ratio registry/baseline (requests/s): "
        + ", ".join(f"{k} {v:.2f}×" for k, v in results["ratios"].items())
        + ". Per round: "
        + "; ".join(
            f"{k} " + ", ".join(f"{v:.2f}×" for v in values) for k, values in results["ratios_by_round"].items()
        )
        + ".",
        "",
        f"Same JSON: {results['same_json']['identical']} of {results['same_json']['compared']} sampled requests "
        "answered identically by both apps"
        + (": " + "; ".join(results["same_json"]["mismatches"]) if results["same_json"]["mismatches"] else "")
        + f". Registry access log: {results['access_log_lines']:,} JSON request lines written during the load "
        f"runs (measured requests alone: {results['registry_requests']:,}). Registry RSS just after start: "
        f"{results['registry_rss_idle_mb']} MB.",
        "",
        "<details><summary>Every run</summary>",
        "",
        "| round | app | scenario | req/s | p50 | p90 | p99 | max ms | CPU ms/req | machine busy % | load avg |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results["runs"]:
        lat = r["latency_ms"]
        lines.append(
            f"| {r['round']} | {r['app']} | {r['scenario']} | {r['rps']:.0f} | {lat['p50']:.1f} | {lat['p90']:.1f} | "
            f"{lat['p99']:.1f} | {lat['max']:.0f} | {r['cpu_ms_per_request']:.2f} | {r['machine_busy_pct']:.0f} | "
            f"{r['loadavg_before'][0]:.2f} |"
        )
    lines += ["", "</details>", END]
    return "\n".join(lines)


def write(results: dict[str, Any], *, write_doc: bool, doc: Path = DOC) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path: Path = RESULTS / results["file"]
    text = json.dumps(results, ensure_ascii=False, indent=2, default=str)
    path.write_text(text, encoding="utf-8")
    (RESULTS / "latest.json").write_text(text, encoding="utf-8")
    if write_doc:
        section = markdown(results)
        current = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n\n" + START + "\n" + END + "\n"
        if START in current and END in current:
            head, rest = current.split(START, 1)
            _, tail = rest.split(END, 1)
            current = head + section + tail
        else:
            current = current.rstrip("\n") + "\n\n" + section + "\n"
        doc.write_text(current, encoding="utf-8")
    return path
