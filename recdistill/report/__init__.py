"""The HTML report of a run folder: ``RUN_DIR/report.html``, one self-contained file.

Rendered from ``metrics.json`` and the neural models' ``train_log.json`` files
only (:meth:`recdistill.runfolder.RunFolder.write_report` reads them and
writes the page), so ``recdistill report RUN_DIR`` re-renders any run. Figures are inline
SVG (matplotlib), styles are inline; the page makes no request when viewed.

Sections: headline (teacher vs best distilled student), quality against
serving bytes and against latency (teacher -> student arrows), the
distillation ratios, metrics across K, training curves, recall by popularity
group, and the full results table.

Beside the page: :mod:`recdistill.report.ratios` (the students-against-teacher
rows of ``metrics.json``) and :mod:`recdistill.report.console` (the tables a
run prints when it ends).
"""

from __future__ import annotations

import html
from typing import Any

from recdistill.report import plots
from recdistill.report.format import fmt_bytes, fmt_seconds, num, pct

__all__ = ["render_report"]

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans CJK SC",
"Noto Sans SC","Source Han Sans SC","PingFang SC","Hiragino Sans GB","Microsoft YaHei",
"WenQuanYi Micro Hei",sans-serif;margin:2rem auto;
max-width:1100px;color:#1c2833;padding:0 1rem}
h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #d5d8dc;padding-bottom:.3rem}
.sub{color:#566573;margin-top:0}
table{border-collapse:collapse;font-size:.9rem;margin:.6rem 0}
th,td{padding:.3rem .6rem;border-bottom:1px solid #eaecee;text-align:right;white-space:nowrap}
.scroll{overflow-x:auto}
th:first-child,td:first-child,td.l,th.l{text-align:left}
tr.teacher td{background:#fdedec}tr.student td{background:#eaf2f8}
.cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{border:1px solid #d5d8dc;border-radius:8px;padding:.8rem 1.1rem;min-width:200px}
.card b{font-size:1.5rem;display:block}
figure{margin:1rem 0}svg{max-width:100%;height:auto}
"""


def _headline(metrics: dict[str, Any], k: int) -> str:
    rows = [r for r in metrics.get("distillation", []) if r.get("kd")]
    models = metrics["models"]
    teacher = next((n for n, m in models.items() if m["role"] == "teacher"), None)
    if teacher is None or not rows:
        return ""
    best = max(rows, key=lambda r: r[f"ndcg@{k}"])
    t = models[teacher]
    cards = [
        (f"teacher NDCG@{k}", num(t["metrics"][f"ndcg@{k}"]), teacher),
        (f"best student NDCG@{k}", num(best[f"ndcg@{k}"]), f"{best['model']} ({best['kd']})"),
        ("% of teacher", pct(best["pct_of_teacher"]), "student / teacher"),
        ("gap closed", pct(best["gap_closed"]), "over the scratch student"),
        ("size", pct(best["bytes_ratio"]), "of the teacher's serving bytes"),
        ("speed-up", f"{best['speedup']:.1f}x", "single request, one thread"),
    ]
    body = "".join(
        f'<div class="card">{html.escape(a)}<b>{html.escape(b)}</b>{html.escape(c)}</div>'
        for a, b, c in cards
    )
    return f'<div class="cards">{body}</div>'


def _ratios_table(metrics: dict[str, Any], k: int) -> str:
    rows = metrics.get("distillation", [])
    if not rows:
        return "<p>No students in this run.</p>"
    head = ["student", "kd", f"NDCG@{k}", "% of teacher", "% of gap closed", "bytes ratio"]
    head += ["speed-up (single)", "speed-up (batched)", "recall head", "mid", "tail"]
    out = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    for r in rows:
        cells = [
            r["model"],
            r["kd"] or "- (scratch)",
            num(r[f"ndcg@{k}"]),
            pct(r["pct_of_teacher"]),
            pct(r["gap_closed"]) if r["kd"] else "-",
            pct(r["bytes_ratio"]),
            f"{r['speedup']:.1f}x",
            f"{r['speedup_batched']:.1f}x",
            *(num(r.get(f"recall_{g}@{k}"), 3) for g in plots.GROUPS),
        ]
        out.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    return "".join(out) + "</table>"


def _budget_section(metrics: dict[str, Any]) -> str:
    """The time budget: each stage's plan against what it took, and what was shrunk or
    skipped (and why)."""
    budget = metrics.get("budget")
    if not budget or not budget.get("stages"):
        return ""
    total = budget.get("budget_s")
    head = "no budget (trained to convergence)" if total is None else (
        f"budget {fmt_seconds(total)}, took {fmt_seconds(budget.get('seconds'))}"
    )
    out = [f"<p>{html.escape(head)}</p><table><tr>"]
    out += [f"<th>{h}</th>" for h in ("stage", "planned", "allowed at its start", "took")]
    out.append("</tr>")
    for name, st in budget["stages"].items():
        cells = [name, fmt_seconds(st.get("planned_s")), fmt_seconds(st.get("allowed_s")),
                 fmt_seconds(st.get("seconds"))]
        out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    out.append("</table>")
    notes = budget.get("notes") or []
    if notes:
        items = "".join(
            f"<li><b>{html.escape(n['subject'])}</b> {html.escape(n['action'])}: "
            f"{html.escape(n['reason'])}</li>"
            for n in notes
        )
        out.append(f"<ul>{items}</ul>")
    return "".join(out)


def _results_table(metrics: dict[str, Any], k: int) -> str:
    head = ["model", "role", "kd", f"NDCG@{k}", f"Recall@{k}", f"HR@{k}", f"MRR@{k}"]
    head += [f"Coverage@{k}", f"Novelty@{k}", "params", "serving", "ms/user", "train s"]
    out = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    models = sorted(
        metrics["models"].items(), key=lambda kv: -(kv[1]["metrics"].get(f"ndcg@{k}") or 0)
    )
    for name, m in models:
        q = m["metrics"]
        cells = [
            name,
            m["role"],
            m.get("kd") or "-",
            num(q.get(f"ndcg@{k}")),
            num(q.get(f"recall@{k}")),
            num(q.get(f"hr@{k}")),
            num(q.get(f"mrr@{k}")),
            num(q.get(f"coverage@{k}"), 3),
            num(q.get(f"novelty@{k}"), 2),
            f"{m.get('params', 0):,}",
            fmt_bytes(m.get("serving_bytes")),
            num(m.get("latency_ms_per_user"), 3),
            num(m.get("train_seconds"), 1),
        ]
        out.append(
            f'<tr class="{html.escape(m["role"])}">'
            + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
            + "</tr>"
        )
    return "".join(out) + "</table>"


def render_report(
    metrics: dict[str, Any], logs: dict[str, dict[str, Any]], *, fallback_name: str = "run"
) -> str:
    """The report page as one HTML string.

    ``metrics``: a ``metrics.json`` document (with at least one model); ``logs``:
    the ``train_log.json`` of each model that trained in the loop, by name.
    """
    k = sorted(metrics.get("k", [10]))[0]
    ds = metrics.get("dataset", {})
    select = metrics.get("protocol", {}).get("select_metric", f"ndcg@{k}")
    sections: list[tuple[str, str | None]] = [
        ("Quality against size", plots.quality_vs_size(metrics, k)),
        ("Quality against latency", plots.quality_vs_latency(metrics, k)),
        ("Distillation: students against their teacher", _ratios_table(metrics, k)),
        ("Metrics across K", plots.metrics_across_k(metrics)),
        ("Training curves", plots.training_curves(logs, select)),
        ("Recall by popularity group", plots.recall_by_popularity(metrics, k)),
        ("All results (test split, full ranking)", _results_table(metrics, k)),
        ("Time budget", _budget_section(metrics)),
    ]
    body = "".join(
        f"<h2>{html.escape(title)}</h2><figure class='scroll'>{content}</figure>"
        for title, content in sections
        if content
    )
    name = html.escape(str(ds.get("name", fallback_name)))
    sub = (
        f"{ds.get('users', 0):,} users, {ds.get('items', 0):,} items, "
        f"{ds.get('interactions', 0):,} interactions; split {ds.get('split', '?')}; "
        f"full ranking, model selection on validation, test scored once"
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>recdistill report: {name}</title><style>{STYLE}</style></head><body>"
        f"<h1>recdistill report: {name}</h1><p class='sub'>{html.escape(sub)}</p>"
        f"{_headline(metrics, k)}{body}</body></html>"
    )
