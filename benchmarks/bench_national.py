"""A national night, measured side by side in one run: the targets of issue 13.

    .venv/bin/python -m benchmarks.bench_national [--scale 1] [--polls 20] [--skip-process]

Generates the seeded national night (``benchmarks/national.py``: about 7,000 races and 110,000
candidate rows in a 26 MB full reply, then ``nextrequest`` deltas) into a temporary folder and
reports, each as a ratio of two figures taken here, now, on this machine (so a busy machine
moves both sides):

1. parse + normalize of the full reply (``parse_ap``) against ``json.loads`` of the same bytes
   (target ≤ 3×);
2. one poll cycle through the real poller and store (fetch from disk, parse, merge, diff,
   persist, queue): a delta with 1 % of the races changed against the full-snapshot cycle
   (target ≤ 10 %), and how many races each evaluated (a count: unchanged ones are skipped);
3. the whole process ``python -m bot replay NIGHT --step --via disk`` (exit 0, nothing pending)
   against ``elex results --data-file FULL.json`` (target ≥ 5× faster; elex 2.4.4 lives in its own
   virtualenv: ``$ELEX`` or /tmp/elexenv/bin/elex, else the ratio is skipped with a message), and
   its peak RSS (target ≤ 1 GB), read from the child's own rusage;
4. ``/results georgia`` answered by another process's store right after each commit of the
   night (what the web process pays once per poll): the whole read (``latest_snapshots``, what
   the handler did before) against the state read (``Store.state_snapshots``, what it does now),
   each in its own ``Store`` on the same file, CPU seconds of this process and races decoded
   (``--only-results`` runs this part alone).

Exit status 1 when a target that was measured is missed.
"""

from __future__ import annotations

import argparse
import compileall
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.national import API, POLL_SECONDS, write_night
from bot.app.poller import Poller, with_targets
from bot.core.rules import RuleSettings
from bot.core.targets import Target
from bot.feeds.ap import parse_ap
from bot.feeds.kinds import make_source
from bot.feeds.source import FeedSpec
from bot.rehearsal.recording import read_recording
from bot.rehearsal.replay_server import DiskSite, Reply
from bot.store.database import Store

ROOT = Path(__file__).resolve().parents[1]
PARSE_TARGET = 3.0
DELTA_TARGET = 0.10
SPEEDUP_TARGET = 5.0
RSS_TARGET_MB = 1024


def best_of(repeat: int, work: Callable[[], object]) -> float:
    best = float("inf")
    gc.collect()
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


@dataclass(frozen=True, slots=True)
class Cycles:
    full: float
    deltas: tuple[float, ...]
    evaluated: tuple[int, ...]  # races evaluated per poll (the full one first)
    changed: tuple[int, ...]  # races in each delta
    commit_full: float = 0.0  # the full poll's Store.commit_poll (snapshot, races, memory, history, outbox)


def poll_cycles(night: Path, polls: int) -> Cycles:
    """The night's replies through one real poller over a disk mirror, as ``replay --via disk``
    stages them: each poll's time from fetch to queued rows, and its races evaluated."""
    recording = read_recording(night)
    with tempfile.TemporaryDirectory(prefix="bench-national-") as tmp:
        site = DiskSite(Path(tmp) / "site")
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        spec = FeedSpec("national", "ap", site.url_for(f"{API}?level=ru&format=json"), POLL_SECONDS, {})
        poller = Poller(make_source(spec), store, RuleSettings(), with_targets([Target("console", "#desk")]))
        times, evaluated, commits = [], [], []
        commit = store.commit_poll

        def timed_commit(*args: Any, **kwargs: Any) -> int:
            start = time.perf_counter()
            try:
                return commit(*args, **kwargs)
            finally:
                commits.append(time.perf_counter() - start)

        store.commit_poll = timed_commit  # type: ignore[method-assign]  # timed, the same call
        try:
            for poll in recording.polls()[:polls]:
                for response in poll.responses:
                    site.publish(response.url, [Reply(200, response.body(), response.content_type)])
                before = poller.stats["races_evaluated"]
                start = time.perf_counter()
                result = poller.poll()
                times.append(time.perf_counter() - start)
                evaluated.append(poller.stats["races_evaluated"] - before)
                if result.status != "changed":
                    raise SystemExit(f"poll {poll.number}: {result.status} {result.error or ''}")
        finally:
            store.close()
    changed = tuple(len(json.loads(r.body())["races"]) for r in recording.responses[1:polls])
    return Cycles(times[0], tuple(times[1:]), tuple(evaluated), changed, commits[0])


@dataclass(frozen=True, slots=True)
class ResultsRead:
    """Per commit of the night: CPU seconds of the first ``/results STATE`` each way, races decoded."""

    whole: tuple[float, ...]
    state: tuple[float, ...]
    decoded_whole: tuple[int, ...]
    decoded_state: tuple[int, ...]
    same: bool  # every answer byte for byte the same both ways


def results_reads(night: Path, polls: int, text: str = "georgia") -> ResultsRead:
    """The night through one real poller (the worker); after each commit, two other stores on the
    same file (two web processes, as SQLite sees them) answer ``/results TEXT`` once each: one the
    way the handler did before (every feed's whole snapshot), one by the state read."""
    from bot.codec import native
    from bot.core.commands import parse
    from bot.render.answers import answer_command
    from bot.render.slack_answers import slack_message
    from handlers import Services
    from handlers.results import AnswerCache, message_for

    recording = read_recording(night)
    rules = RuleSettings()
    cmd = parse(text)
    decoded: list[int] = []
    real_read = native.read

    def counting(document: str, feed: str) -> native.Reading:
        reading = real_read(document, feed)
        decoded.append(len(reading.snapshot.races) + len(reading.left_out))
        return reading

    whole_s, state_s, whole_n, state_n, same = [], [], [], [], True
    with tempfile.TemporaryDirectory(prefix="bench-national-results-") as tmp:
        site = DiskSite(Path(tmp) / "site")
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        worker, whole, state = Store(url), Store(url), Store(url)
        spec = FeedSpec("national", "ap", site.url_for(f"{API}?level=ru&format=json"), POLL_SECONDS, {})
        poller = Poller(make_source(spec), worker, rules, with_targets([Target("console", "#desk")]))
        native.read = counting  # type: ignore[assignment]  # counted here only, put back below
        try:
            for poll in recording.polls()[:polls]:
                for response in poll.responses:
                    site.publish(response.url, [Reply(200, response.body(), response.content_type)])
                if poller.poll().status != "changed":
                    raise SystemExit(f"poll {poll.number} did not change the snapshot")
                gc.collect()
                decoded.clear()
                start = time.process_time()
                before = slack_message(answer_command(cmd, whole.latest_snapshots(), rules))
                whole_s.append(time.process_time() - start)
                whole_n.append(sum(decoded))
                decoded.clear()
                start = time.process_time()
                now = message_for(cmd, Services(state, rules), "C1", AnswerCache())
                state_s.append(time.process_time() - start)
                state_n.append(sum(decoded))
                same = same and json.dumps(before, sort_keys=True) == json.dumps(now, sort_keys=True)
        finally:
            native.read = real_read  # type: ignore[assignment]
            for store in (worker, whole, state):
                store.close()
    return ResultsRead(tuple(whole_s), tuple(state_s), tuple(whole_n), tuple(state_n), same)


def print_results_reads(reads: ResultsRead) -> None:
    def median(values: tuple[float, ...]) -> float:
        return sorted(values)[len(values) // 2]

    print(
        f"/results read  first /results georgia after each of {len(reads.whole)} commits (CPU s, median of the deltas; the first commit apart)"
    )
    print(
        f"               whole read (before): first {reads.whole[0]:6.3f} s, then {median(reads.whole[1:]):6.3f} s, "
        f"races decoded {reads.decoded_whole[0]:,} then {min(reads.decoded_whole[1:]):,}–{max(reads.decoded_whole[1:]):,}"
    )
    print(
        f"               state read (now):    first {reads.state[0]:6.3f} s, then {median(reads.state[1:]):6.3f} s, "
        f"races decoded {reads.decoded_state[0]:,} then {min(reads.decoded_state[1:]):,}–{max(reads.decoded_state[1:]):,}"
    )
    print(
        f"               ratio after a delta commit {median(reads.whole[1:]) / max(median(reads.state[1:]), 1e-9):6.0f}×; "
        f"answers {'byte for byte the same' if reads.same else 'DIFFERENT'}"
    )


def run_measured(argv: list[str]) -> tuple[int, float, int, str]:
    """(exit status, wall seconds, peak RSS in MB, stdout's last line) of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, text=True)
    assert child.stdout is not None
    last = ""
    for line in child.stdout:
        if line.strip():
            last = line.strip()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, time.perf_counter() - start, usage.ru_maxrss // 1024, last


def find_elex() -> str | None:
    candidate = os.environ.get("ELEX") or "/tmp/elexenv/bin/elex"
    return candidate if Path(candidate).is_file() else shutil.which("elex") if not os.environ.get("ELEX") else None


def compile_bytecode() -> None:
    """Our modules compiled before a process is timed, as pip compiles elex's at install: this
    machine sets PYTHONDONTWRITEBYTECODE, so otherwise every start compiles ~200 modules (0.2-0.3 s
    of CPU) that a deployed bot compiles once. A source newer than its .pyc is still compiled."""
    for package in ("bot", "config", "handlers"):
        compileall.compile_dir(ROOT / package, quiet=2)


def start_up(rounds: int) -> None:
    """Before any work: ``--help`` (the CLI alone) and the modules a replay imports before its
    first poll, best of ``rounds`` processes each."""
    python = sys.executable
    replay_imports = "import bot.app.cli, bot.app.rehearse, bot.feeds.kinds, bot.store.database"
    helps = [run_measured([python, "-m", "bot", "--help"])[1] for _ in range(rounds)]
    imports = [run_measured([python, "-c", replay_imports])[1] for _ in range(rounds)]
    bare = [run_measured([python, "-c", "pass"])[1] for _ in range(rounds)]
    print(
        f"start-up       python -m bot --help {min(helps):5.2f} s   a replay's imports {min(imports):5.2f} s   "
        f"python alone {min(bare):5.2f} s  (best of {rounds})"
    )
    by_package = import_self_times(replay_imports, rounds)
    top = sorted(by_package.items(), key=lambda kv: -kv[1])[:8]
    print(
        "               where they go (-X importtime, self ms, best of each): " + ", ".join(f"{k} {v:.0f}" for k, v in top)
    )


def import_self_times(statement: str, rounds: int) -> dict[str, float]:
    """Milliseconds of import each top-level package took itself (not its imports), best of
    ``rounds`` processes each: which library a start-up's time goes to (issue 13)."""
    best: dict[str, float] = {}
    for _ in range(rounds):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", statement], cwd=ROOT, capture_output=True, text=True, check=True
        )
        totals: dict[str, float] = {}
        for line in done.stderr.splitlines()[1:]:  # the first is the header
            parts = line.split("|")
            if line.startswith("import time:") and len(parts) == 3:
                package = parts[2].strip().split(".")[0]
                totals[package] = totals.get(package, 0.0) + int(parts[0].split(":")[1]) / 1000
        for package, ms in totals.items():
            best[package] = min(ms, best.get(package, ms))
    return best


def whole_reply(full: Path, rounds: int) -> tuple[list[str], float | None]:
    """The full reply replayed by our process and read by elex, alternately ``rounds`` times (a
    busy machine moves both sides alike); the best of each side makes the ratio, the medians are
    printed beside it. Returns what missed and the speed-up (None without elex)."""
    python, elex = sys.executable, find_elex()
    missed: list[str] = []
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(rounds):
        code, seconds, rss, last = run_measured([python, "-m", "bot", "replay", str(full), "--step", "--via", "disk"])
        ours.append(seconds)
        if code != 0:
            missed.append("full reply exit")
        if elex is not None:
            ecode, eseconds, erss, _ = run_measured([elex, "results", "--data-file", str(full)])
            theirs.append(eseconds)
    print(
        f"full reply     python -m bot replay FULL.json --step --via disk: best {min(ours):5.2f} s, median "
        f"{statistics.median(ours):5.2f} s of {rounds}, exit {code}, peak RSS {rss} MB: {last}"
    )
    if elex is None:
        print(
            "elex           not found ($ELEX or /tmp/elexenv/bin/elex): ratio skipped. Install: python3 -m venv /tmp/elexenv && "
            "/tmp/elexenv/bin/pip install elex==2.4.4 && /tmp/elexenv/bin/pip install pymongo==3.13.0"
        )
        return missed, None
    speedup = min(theirs) / min(ours)
    print(
        f"elex           elex results --data-file FULL.json: best {min(theirs):5.2f} s, median {statistics.median(theirs):5.2f} s, "
        f"exit {ecode}, peak RSS {erss} MB   ours {speedup:5.2f}× faster (medians {statistics.median(theirs) / statistics.median(ours):5.2f}×)  "
        f"(target ≥ {SPEEDUP_TARGET:g}×)"
    )
    if speedup < SPEEDUP_TARGET:
        missed.append("elex")
    return missed, speedup


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--polls", type=int, default=20)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--skip-process", action="store_true", help="leave out the whole-process run and elex")
    parser.add_argument("--only-results", action="store_true", help="only the /results read after each commit (4.)")
    parser.add_argument(
        "--only-process", action="store_true", help="only start-up and the full reply against elex (3.), in a minute or two"
    )
    parser.add_argument("--rounds", type=int, default=3, help="processes per side for the full reply against elex")
    args = parser.parse_args(argv)
    missed: list[str] = []
    if args.only_process:
        with tempfile.TemporaryDirectory(prefix="national-night-") as tmp:
            night = write_night(Path(tmp) / "night", args.seed, 1, args.scale)
            compile_bytecode()
            start_up(args.rounds)
            missed, _ = whole_reply(night.files[0], args.rounds)
        print("targets        " + ("all measured targets met" if not missed else "NOT met: " + ", ".join(missed)))
        return 1 if missed else 0
    if args.only_results:
        with tempfile.TemporaryDirectory(prefix="national-night-") as tmp:
            write_night(Path(tmp) / "night", args.seed, min(args.polls, 6), args.scale)
            reads = results_reads(Path(tmp) / "night", min(args.polls, 6))
        print_results_reads(reads)
        return 0 if reads.same else 1
    with tempfile.TemporaryDirectory(prefix="national-night-") as tmp:
        out = Path(tmp) / "night"
        night = write_night(out, args.seed, args.polls, args.scale)
        full = night.files[0]
        data = full.read_bytes()
        print(
            f"night          seed {args.seed}: {night.races:,} races, {night.candidate_rows:,} candidate rows, full reply {len(data) / 1e6:.1f} MB, "
            f"{len(night.changed)} deltas of {min(night.changed)}–{max(night.changed)} races"
        )

        loads = best_of(3, lambda: json.loads(data))
        parse = best_of(3, lambda: parse_ap(data, "bench"))
        ratio = parse / loads
        print(
            f"parse          json.loads {loads:6.2f} s   parse_ap {parse:6.2f} s   ratio {ratio:5.2f}×  (target ≤ {PARSE_TARGET:g}×)"
        )
        if ratio > PARSE_TARGET:
            missed.append("parse")

        # the same night with exactly 1 % of the races in each delta, for the cycle's ratio
        write_night(Path(tmp) / "one-percent", args.seed, 6, args.scale, (0.01, 0.01))
        cycles = poll_cycles(Path(tmp) / "one-percent", 6)
        delta = sorted(cycles.deltas)[len(cycles.deltas) // 2]
        share = delta / cycles.full
        print(
            f"poll cycle     full {cycles.full:6.2f} s ({cycles.evaluated[0]:,} races evaluated)   "
            f"delta with 1 % changed (median of {len(cycles.deltas)}) {delta:6.3f} s   ratio {share:6.1%}  (target ≤ {DELTA_TARGET:.0%})"
        )
        print(
            f"               the full poll's store write (commit_poll) {cycles.commit_full:6.2f} s, "
            f"{cycles.commit_full / cycles.full:5.1%} of its cycle"
        )
        print(
            f"               races evaluated per delta {min(cycles.evaluated[1:])}–{max(cycles.evaluated[1:])} "
            f"for {min(cycles.changed)}–{max(cycles.changed)} races changed (the rest skipped unread)"
        )
        if share > DELTA_TARGET:
            missed.append("delta")

        reads = results_reads(out, min(args.polls, 6))
        print_results_reads(reads)
        if not reads.same:
            missed.append("/results answers")

        if not args.skip_process:
            python = sys.executable
            compile_bytecode()
            code, seconds, rss, last = run_measured([python, "-m", "bot", "replay", str(out), "--step", "--via", "disk"])
            print(
                f"whole night    python -m bot replay NIGHT --step --via disk: {seconds:6.1f} s, exit {code}, peak RSS {rss} MB: {last}"
            )
            if code != 0:
                missed.append("night exit")
            if rss > RSS_TARGET_MB:
                missed.append("rss")
            code2, seconds2, rss2, last2 = run_measured([python, "-m", "bot", "replay", str(out), "--step", "--via", "http"])
            print(
                f"whole night    python -m bot replay NIGHT --step --via http: {seconds2:6.1f} s, exit {code2}, peak RSS {rss2} MB: {last2}"
            )
            if code2 != 0:
                missed.append("night exit (http)")
            start_up(args.rounds)
            missed += whole_reply(full, args.rounds)[0]
    print("targets        " + ("all measured targets met" if not missed else "NOT met: " + ", ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
