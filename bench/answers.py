#!/usr/bin/env python3
"""Answer quality without a model: retrieval, the extractive reply and the hand-off, measured on
three small businesses' own documents (bench/answers/) and 120 WhatsApp-style questions.

Usage (from the repository root, after `./dev release`):
    python3 bench/answers.py [--verbose] [--json out.json] [--business porto-dental]

For each business (a folder of bench/answers/ holding its documents), starts the release binary
on a fresh SQLite data directory, creates the owner through the API, sets the business profile's
languages, uploads every document and waits until all are ready, then asks each of the
business's questions (bench/answers/questions.json) through `POST /api/prompts/try`, the
dashboard's "try it" (no AI provider is configured, so the reply is extractive or a hand-off).

A question names the document that answers it and 1-2 facts (a price, a time, a name) a correct
reply must contain; a question with no document is one the documents do not answer. Over all
businesses together it computes:
  - R@1, R@5, MRR: a passage is a hit when it comes from the expected document and contains
    every fact (text compared lowercased, without accents, whitespace collapsed, "€ 10" = "€10");
  - no-answer AUROC: how well the best passage's `relevance` (0..1) tells answerable questions
    from the others (rank-sum, ties count half); the same for its BM25 `score`, for comparison;
  - fact share: answerable questions whose reply contains every fact (hand-offs fail);
  - reply length, median and max, of the answerable questions that were not handed off;
  - hand-off share of the unanswerable questions, and of the answerable ones;
  - the same retrieval and fact figures per question language, and for questions asked in
    another language than their document's.
Prints each figure with its target and the ratio to it (above 1.0 = look into it).
"""

import argparse
import json
import pathlib
import re
import shutil
import statistics
import tempfile
import time
import unicodedata
import urllib.error
import urllib.parse

from processes import Server, note, percentile

DATA = pathlib.Path(__file__).resolve().parent / "answers"
EMAIL, PASSWORD = "bench@example.com", "bench password 123"

# The business profile each folder gets, and the language each document is written in (for the
# cross-language figure only).
BUSINESSES = {
    "lisbon-restaurant": {
        "name": "Tasca do Rio",
        "timezone": "Europe/Lisbon",
        "languages": ["English", "Português"],
        "docs": {"menu.md": "en", "guest-info.txt": "en", "events.md": "en",
                 "informacoes.md": "pt", "wines.csv": "en"},
    },
    "madrid-bikes": {
        "name": "Rueda Libre Madrid",
        "timezone": "Europe/Madrid",
        "languages": ["Español", "English"],
        "docs": {"tarifas.md": "es", "tours.html": "en", "policies.txt": "en", "faq-es.txt": "es"},
    },
    "porto-dental": {
        "name": "Clínica Dentária Sorriso da Ribeira",
        "timezone": "Europe/Lisbon",
        "languages": ["Português", "English"],
        "docs": {"servicos.md": "pt", "patients.md": "en", "precos.csv": "pt"},
    },
}

# (figure, target, higher is better)
TARGETS = {
    "r_at_1": (0.70, True),  # aim 0.80
    "r_at_5": (0.95, True),
    "auroc_relevance": (0.90, True),
    "fact_share": (0.70, True),
    "reply_chars_median": (400, False),
    "handoff_share_unanswerable": (0.90, True),
}
MRR_DEPTH = 10


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"([€$£])\s+", r"\1", text)


def contains(text: str, fact: str) -> bool:
    """Whether `fact` occurs in `text` as a whole token: "5 €" is not found in "15 €", nor "€10"
    in "€10.50" or "18" in "180"."""
    f = normalise(fact).strip()
    pattern = re.escape(f)
    if f[:1].isalnum():
        pattern = r"(?<![0-9a-z])" + pattern
    if f[-1:].isalnum():
        pattern += r"(?![0-9a-z]|[.,][0-9])"
    return re.search(pattern, normalise(text)) is not None


def title_of(file_name: str) -> str:
    """The title the server gives an upload: the file name without its extension."""
    stem, dot, _ = file_name.rpartition(".")
    return stem.strip() if dot and stem.strip() else file_name


def auroc(positives: list[float], negatives: list[float]) -> float:
    """Mann-Whitney: the chance a positive scores above a negative, ties counting half."""
    if not positives or not negatives:
        return float("nan")
    scored = sorted([(s, 1) for s in positives] + [(s, 0) for s in negatives])
    rank_sum, i = 0.0, 0
    while i < len(scored):
        j = i
        while j < len(scored) and scored[j][0] == scored[i][0]:
            j += 1
        mean_rank = (i + 1 + j) / 2  # ranks i+1..j share their mean
        rank_sum += mean_rank * sum(label for _, label in scored[i:j])
        i = j
    p, n = len(positives), len(negatives)
    return (rank_sum - p * (p + 1) / 2) / (p * n)


def wait_ready(server: Server, ids: list[int], timeout=120) -> dict:
    deadline = time.time() + timeout
    pending, ready = set(ids), {}
    while pending and time.time() < deadline:
        for d in server.call("/api/knowledge/library")["documents"]:
            if d["id"] in pending and d["status"] != "processing":
                if d["status"] != "ready":
                    raise SystemExit(f"document {d['title']} failed: {d['error']}")
                pending.discard(d["id"])
                ready[d["id"]] = d
        time.sleep(0.05)
    if pending:
        raise SystemExit(f"{len(pending)} documents still processing after {timeout} s")
    return ready


def api_error(e: urllib.error.HTTPError) -> str:
    body = e.read().decode(errors="replace")
    return f"HTTP {e.code}: {body[:300]}"


def run_business(args, folder: pathlib.Path, profile: dict, questions: list[dict]) -> list[dict]:
    data = tempfile.mkdtemp(prefix="replydesk-bench-")
    server = None
    try:
        server = Server(args.binary, args.site, data)
        server.setup_owner(profile["name"], EMAIL, PASSWORD)
        server.call("/api/auth/state")
        try:
            server.call("/api/settings/business", {"profile": {
                "name": profile["name"], "timezone": profile["timezone"],
                "languages": profile["languages"]}})
        except urllib.error.HTTPError as e:
            raise SystemExit(f"saving the business profile failed: {api_error(e)}")

        files = sorted(p for p in folder.iterdir() if p.is_file())
        note(f"{folder.name}: uploading {len(files)} documents")
        ids = []
        for path in files:
            q = urllib.parse.urlencode({"name": path.name})
            try:
                ids.append(server.call(f"/api/knowledge/upload?{q}", data=path.read_bytes())["id"])
            except urllib.error.HTTPError as e:
                raise SystemExit(f"uploading {path.name} failed: {api_error(e)}")
        for d in wait_ready(server, ids).values():
            expected = profile["docs"].get(d.get("original_name") or "", "?")
            note(f"  {d['title']}: {d['passages']} passages, language {d.get('language')} (written in {expected})")

        note(f"{folder.name}: {len(questions)} questions")
        results = []
        for item in questions:
            started = time.perf_counter()
            try:
                answer = server.call("/api/prompts/try", {"input": {"question": item["question"]}})
            except urllib.error.HTTPError as e:
                raise SystemExit(f"asking {item['question']!r} failed: {api_error(e)}")
            results.append({**item, "latency_ms": (time.perf_counter() - started) * 1000,
                            "result": answer})
        return results
    finally:
        if server is not None:
            try:
                server.stop()
            except Exception as e:  # noqa: BLE001 - the data directory goes either way
                note(f"stopping the server failed: {e}")
        shutil.rmtree(data, ignore_errors=True)


def judge(item: dict, missing_relevance: list) -> dict:
    """One question's figures."""
    answer = item["result"]
    passages = answer.get("passages") or []
    reply = "\n".join(answer.get("replies") or [])
    mode = answer.get("mode")
    best = passages[0] if passages else None
    if best is not None and "relevance" not in best:
        missing_relevance.append(item["question"])
    out = {
        "business": item["business"], "question": item["question"], "lang": item["lang"],
        "doc": item["doc"], "facts": item["facts"], "mode": mode, "reply": reply,
        "reply_chars": len(reply),
        "relevance": float(best.get("relevance", 0.0)) if best else 0.0,
        "score": float(best["score"]) if best else 0.0,
        "top": (f"{best['document_title']} › {best['heading_path']}".rstrip(" ›"),
                best["content"][:120]) if best else None,
        "latency_ms": item["latency_ms"],
        "doc_lang": BUSINESSES[item["business"]]["docs"].get(item["doc"]) if item["doc"] else None,
    }
    if item["doc"]:
        title = title_of(item["doc"])
        rank = next((i + 1 for i, p in enumerate(passages[:MRR_DEPTH])
                     if p["document_title"] == title and all(contains(p["content"], f) for f in item["facts"])),
                    None)
        out["rank"] = rank
        out["facts_in_reply"] = mode != "handoff" and all(contains(reply, f) for f in item["facts"])
    return out


def retrieval_figures(rows: list[dict]) -> dict:
    if not rows:
        return {"questions": 0}
    n = len(rows)
    return {
        "questions": n,
        "r_at_1": sum(1 for r in rows if r["rank"] == 1) / n,
        "r_at_5": sum(1 for r in rows if r["rank"] and r["rank"] <= 5) / n,
        "mrr": sum(1 / r["rank"] for r in rows if r["rank"]) / n,
        "fact_share": sum(1 for r in rows if r["facts_in_reply"]) / n,
    }


def figures(judged: list[dict]) -> dict:
    answerable = [r for r in judged if r["doc"]]
    unanswerable = [r for r in judged if not r["doc"]]
    answered = [r for r in answerable if r["mode"] != "handoff"]
    lengths = [r["reply_chars"] for r in answered]
    out = retrieval_figures(answerable)
    out.update({
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "auroc_relevance": auroc([r["relevance"] for r in answerable], [r["relevance"] for r in unanswerable]),
        "auroc_score": auroc([r["score"] for r in answerable], [r["score"] for r in unanswerable]),
        "reply_chars_median": statistics.median(lengths) if lengths else float("nan"),
        "reply_chars_max": max(lengths) if lengths else float("nan"),
        "handoff_share_unanswerable": (sum(1 for r in unanswerable if r["mode"] == "handoff") / len(unanswerable)
                                       if unanswerable else float("nan")),
        "handoff_share_answerable": (sum(1 for r in answerable if r["mode"] == "handoff") / len(answerable)
                                     if answerable else float("nan")),
        "latency_ms_p50": percentile([r["latency_ms"] for r in judged], 50),
        "latency_ms_max": max(r["latency_ms"] for r in judged),
        "modes": {m: sum(1 for r in judged if r["mode"] == m) for m in sorted({r["mode"] for r in judged})},
        "by_language": {lang: retrieval_figures([r for r in answerable if r["lang"] == lang])
                        for lang in sorted({r["lang"] for r in answerable})},
        "cross_language": retrieval_figures([r for r in answerable if r["doc_lang"] and r["doc_lang"] != r["lang"]]),
        "by_business": {b: retrieval_figures([r for r in answerable if r["business"] == b])
                        for b in sorted({r["business"] for r in answerable})},
    })
    return out


def failed(r: dict) -> bool:
    if r["doc"]:
        return r["rank"] != 1 or not r["facts_in_reply"]
    return r["mode"] != "handoff"


def print_failures(judged: list[dict]) -> None:
    for r in (r for r in judged if failed(r)):
        print(f"\n✗ [{r['business']}, {r['lang']}] {r['question']}")
        if r["doc"]:
            print(f"  expected: {r['doc']} with {r['facts']}; hit at rank {r['rank']}, "
                  f"facts in reply: {r['facts_in_reply']}")
        else:
            print("  expected: no answer (hand-off)")
        print(f"  mode {r['mode']}, relevance {r['relevance']:.3f}, score {r['score']:.2f}")
        if r["top"]:
            print(f"  top passage: {r['top'][0]}: {r['top'][1]!r}")
        else:
            print("  top passage: none")
        print("  reply: " + r["reply"].replace("\n", "\n         "))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/replydesk")
    ap.add_argument("--site", default="target/site")
    ap.add_argument("--data", default=str(DATA), help="folder with questions.json and one folder per business")
    ap.add_argument("--business", action="append", help="only this business (repeatable)")
    ap.add_argument("--verbose", action="store_true", help="print every failure")
    ap.add_argument("--json", metavar="PATH", help="write all figures (and each question's result) here")
    args = ap.parse_args()
    if not pathlib.Path(args.binary).exists():
        raise SystemExit(f"{args.binary} not found: build first (./dev release)")
    if not pathlib.Path(args.site).is_dir():
        raise SystemExit(f"{args.site} not found: build first (./dev release)")

    data = pathlib.Path(args.data)
    questions = json.loads((data / "questions.json").read_text())
    names = args.business or list(BUSINESSES)
    unknown = [b for b in names if b not in BUSINESSES or not (data / b).is_dir()]
    if unknown:
        raise SystemExit(f"unknown business: {', '.join(unknown)}")

    judged, missing_relevance = [], []
    for name in names:
        asked = [q for q in questions if q["business"] == name]
        for item in run_business(args, data / name, BUSINESSES[name], asked):
            judged.append(judge(item, missing_relevance))
    if missing_relevance:
        note(f"{len(missing_relevance)} answers have no `relevance` on their passages: counted as 0")

    f = figures(judged)
    if args.verbose:
        print_failures(judged)

    def line(name, value, unit="", key=None, digits=3):
        target = ratio = ""
        if key in TARGETS:
            goal, higher = TARGETS[key]
            target = f"  target {'≥' if higher else '≤'} {goal:g}{unit}"
            if value != value:  # NaN: nothing to compare
                pass
            elif not higher:
                ratio = f"  ratio {value / goal:.2f}"
            else:
                ratio = f"  ratio {goal / value:.2f}" if value > 0 else "  ratio inf"
        print(f"{name:<48} {value:>8.{digits}f}{unit}{target}{ratio}")

    print(f"\n{len(judged)} questions: {f['answerable']} answerable, {f['unanswerable']} not; "
          f"modes {f['modes']}")
    line("R@1 (aim 0.80)", f["r_at_1"], key="r_at_1")
    line("R@5", f["r_at_5"], key="r_at_5")
    line(f"MRR (first {MRR_DEPTH} passages)", f["mrr"])
    line("no-answer AUROC, relevance", f["auroc_relevance"], key="auroc_relevance")
    line("no-answer AUROC, BM25 score (comparison)", f["auroc_score"])
    line("fact share (facts in the reply)", f["fact_share"], key="fact_share")
    line("reply length, median", f["reply_chars_median"], " chars", key="reply_chars_median", digits=0)
    line("reply length, max", f["reply_chars_max"], " chars", digits=0)
    line("hand-off share, unanswerable questions", f["handoff_share_unanswerable"], key="handoff_share_unanswerable")
    line("hand-off share, answerable questions", f["handoff_share_answerable"])
    line("try latency p50", f["latency_ms_p50"], " ms", digits=1)
    line("try latency max", f["latency_ms_max"], " ms", digits=1)
    print()
    groups = [(f"language {k}", v) for k, v in f["by_language"].items()]
    groups.append(("asked in another language than the document's", f["cross_language"]))
    groups += [(k, v) for k, v in f["by_business"].items()]
    print(f"{'':<48} {'n':>4} {'R@1':>6} {'R@5':>6} {'facts':>6}")
    for label, g in groups:
        if g["questions"]:
            print(f"{label:<48} {g['questions']:>4} {g['r_at_1']:>6.2f} {g['r_at_5']:>6.2f} {g['fact_share']:>6.2f}")

    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(
            {"figures": f, "targets": {k: v[0] for k, v in TARGETS.items()}, "questions": judged},
            ensure_ascii=False, indent=1))
        note(f"wrote {args.json}")


if __name__ == "__main__":
    main()
