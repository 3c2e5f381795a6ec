#!/usr/bin/python3
"""Runs what a page of the docs shows, so that the page cannot drift.

    doctest.py [--source-dir DIR] PAGE.md...

Every fenced block of a page is run or checked, or says why not:

  ```console            a transcript: `$ command` (`> ` continues it) and the
                        output it prints, run with cram in one /bin/sh per
                        page, blocks in order; `...` in an output line stands
                        for anything. The four binaries are on PATH and the
                        shell starts in a scratch directory where examples/,
                        docs/ and scripts/ are the checkout's.
  <!-- doctest: KIND --> on the line before any other block:
      json              the block is JSON (or the members of an object)
      agent-env [PATH]  an --executor_environment_variables object: strings
                        only, every key a variable `executor --help` lists
                        (or PATH); the same as the file PATH when given
      same-as PATH      the block is the file PATH (as JSON when both parse)
      part-of PATH      the block's lines are lines of PATH, in a row
      not run: REASON   nothing is run; the page says why
      labels-example SERVICE=TAG,TAG... vaas=DIRECTOR
                        the block is an app's labels and portDefinitions: an
                        app with them (a web server on $PORT0, no health
                        check) runs under fakeagent; each SERVICE must be in
                        fakeconsul on the first port with those tags, a
                        backend in fakevaas' DIRECTOR on that port, nothing
                        on the second port
  layout                a tree of the checkout: each entry (a line's first word,
                        under the folder above it) exists, every file named
                        in a description (foo.c, *_map.c) exists in that
                        folder or below, and every .c file of a source
                        folder the tree lists is named in it
  <!-- doctest: run-app PATH -->  anywhere: the Marathon app PATH runs under
                        fakeagent with fakeconsul and fakevaas, the page's
                        agent-env block as the agent's settings, to
                        TASK_KILLED, registered and deregistered on the way
  <!-- doctest: covers /_fake/ -->  anywhere: every "/_fake/..." path the
                        C sources serve is named on the page

And every relative link of a page, [text](path#anchor), names a file of the
checkout and, in a .md file, a heading that makes that anchor.

Binaries come from $EXECUTOR_BIN, $FAKEAGENT_BIN, $FAKECONSUL_BIN and
$FAKEVAAS_BIN (ctest sets them). Nothing talks to anything but 127.0.0.1.
Exit status 0 when every check passed, 1 otherwise, 2 for bad usage."""

import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^(```+|~~~+)\s*([^`]*)$")
MARK = re.compile(r"^<!--\s*doctest:\s*(.*?)\s*-->$")
CRAM = "/usr/bin/cram3"

failures = []


def fail(where, msg):
    failures.append(f"{where}: {msg}")
    print(f"FAIL {where}: {msg}", flush=True)


def binaries():
    names = {"executor": "EXECUTOR_BIN", "fakeagent": "FAKEAGENT_BIN",
             "fakeconsul": "FAKECONSUL_BIN", "fakevaas": "FAKEVAAS_BIN"}
    out = {}
    for name, var in names.items():
        path = os.environ.get(var)
        if not path or not os.access(path, os.X_OK):
            sys.exit(f"doctest: ${var} must name the built {name}")
        out[name] = path
    return out


def blocks(text):
    """(line number, info string, marker or None, body) of each fenced block,
    and the page-level markers (line number, marker)."""
    lines = text.split("\n")
    found, page = [], []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            mk = MARK.match(lines[i].strip())
            if mk:
                nxt = lines[i + 1] if i + 1 < len(lines) else ""
                if not FENCE.match(nxt):
                    page.append((i + 1, mk.group(1)))
            i += 1
            continue
        fence, info = m.group(1), m.group(2).strip()
        prev = lines[i - 1].strip() if i else ""
        mk = MARK.match(prev)
        start = i
        i += 1
        body = []
        while i < len(lines) and not lines[i].startswith(fence):
            body.append(lines[i])
            i += 1
        i += 1
        found.append((start + 1, info, mk.group(1) if mk else None, "\n".join(body)))
    return found, page


def parse_json(body):
    try:
        return json.loads(body)
    except ValueError:
        return json.loads("{" + body + "}")


def help_variables(bins):
    out = subprocess.run([bins["executor"], "--help"], capture_output=True, text=True,
                         check=True).stdout
    return set(re.findall(r"^  ([A-Z][A-Z0-9_]{3,})", out, re.M))


# ---------------------------------------------------------------- transcripts

def cram_lines(where_prefix, lineno, body):
    """The console block as cram test lines."""
    out = [f"{where_prefix}:{lineno}:"]
    for ln in body.split("\n"):
        if ln.startswith("$ ") or ln == "$":
            out.append("  " + ln)
        elif ln.startswith("> "):
            out.append("  " + ln)
        elif "..." in ln:
            g = ln.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")
            out.append("  " + g.replace("...", "*") + " (glob)")
        else:
            out.append("  " + ln)
    return out


def run_transcripts(page, source, bins, consoles, scratch):
    if not consoles:
        return
    if not os.access(CRAM, os.X_OK):
        fail(page, f"{CRAM} is missing (Debian's python3-cram; scripts/deps.sh installs it)")
        return
    work = os.path.join(scratch, "shell")
    os.makedirs(work)
    for d in ("examples", "docs", "scripts"):
        os.symlink(os.path.join(source, d), os.path.join(work, d))
    path = ":".join(os.path.dirname(p) for p in bins.values())
    t = ["setup (not on the page):",
         f"  $ export PATH='{path}':\"$PATH\"",
         f"  $ cd '{work}'"]
    for lineno, body in consoles:
        t += cram_lines(page, lineno, body)
    tfile = os.path.join(scratch, os.path.basename(page).replace(".", "_") + ".t")
    with open(tfile, "w") as f:
        f.write("\n".join(t) + "\n")
    env = dict(os.environ, TMPDIR=scratch)
    proc = subprocess.Popen([CRAM, "--shell=/bin/sh", tfile], cwd=scratch, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        fail(page, "the transcripts did not finish within 240 s")
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # whatever a block left running
    except ProcessLookupError:
        pass
    print(out, end="")
    if proc.returncode != 0:
        fail(page, f"a transcript printed something else than the page shows (diff above: "
                   f"- the page, + what ran; {len(consoles)} blocks)")
    else:
        print(f"ok   {page}: {len(consoles)} console blocks ran as shown")


# ---------------------------------------------------------------- the app

# The settings that name the operator's own cluster; fakeagent gives the
# executor its fakes' instead (scenarios.md).
CLUSTER_KEYS = ("CLOUD_PUBLIC_IP", "CONSUL_HTTP_ADDR", "ALLEGRO_EXECUTOR_VAAS_HOST",
                "ALLEGRO_EXECUTOR_VAAS_USERNAME", "ALLEGRO_EXECUTOR_VAAS_TOKEN")
ALL_INTERFACES = "--bind 0.0.0.0"


def run_app(page, source, bins, app_path, agent_env, scratch):
    where = f"{page}: run-app {app_path}"
    if agent_env is None:
        return fail(where, "the page has no agent-env block to run it with")
    with open(os.path.join(source, app_path)) as f:
        app = json.load(f)
    missing = [k for k in CLUSTER_KEYS if k not in agent_env]
    if missing:
        return fail(where, f"the agent-env block lacks {', '.join(missing)}")
    env = {k: v for k, v in agent_env.items() if k not in CLUSTER_KEYS}
    # Tests bind 127.0.0.1 only: the one change made to the app.
    if app.get("cmd", "").count(ALL_INTERFACES) != 1:
        return fail(where, f"its cmd should bind all interfaces once ({ALL_INTERFACES})")
    app["cmd"] = app["cmd"].replace(ALL_INTERFACES, "--bind 127.0.0.1")
    service = app.get("labels", {}).get("consul")
    director = app.get("labels", {}).get("director")
    if not service or not director:
        return fail(where, "the app should carry a consul and a director label")
    steps = [
        {"step": "expect-update", "state": "TASK_RUNNING", "healthy": True, "timeout": "60s"},
        {"step": "expect-consul-service", "name": service, "address": "127.0.0.1",
         "check_status": "passing", "timeout": "20s"},
        {"step": "expect-vaas-backend", "director": director, "address": "127.0.0.1",
         "timeout": "20s"},
        {"step": "kill"},
        {"step": "expect-update", "state": "TASK_KILLED", "timeout": "60s"},
        {"step": "expect-consul-service", "name": service, "absent": True},
        {"step": "expect-vaas-backend", "director": director, "address": "127.0.0.1",
         "absent": True},
        {"step": "expect-executor-exit", "status": 0, "timeout": "30s"},
        {"step": "expect-executor-log-absent",
         "text": ["these are not set", "level=error"]},
        {"step": "expect-process-gone", "cmdline": "http.server --bind 127.0.0.1"},
    ]
    scenario = {"name": f"{app_path} with {page}'s agent settings, to TASK_KILLED",
                "app": app, "services": ["consul", "vaas"],
                "agent": {"executor_env": env, "capabilities": ["TASK_KILLING_STATE"]},
                "executor_log": ["registered", "not set", "SIGTERM"],
                "timeline": "brief", "steps": steps}
    if run_scenario(where, bins, scenario, scratch, "app-scenario.json"):
        print(f"ok   {where}: TASK_KILLED, registered and deregistered")


def run_labels(where, bins, fragment, args, scratch):
    app = {"id": "/doctest/labels", "cmd": "exec python3 -m http.server --bind 127.0.0.1 $PORT0",
           "cpus": 0.1, "mem": 32, "executor": "./executor"}
    app.update(parse_json(fragment))
    steps = [{"step": "expect-update", "state": "TASK_RUNNING"}]
    director = None
    for a in args.split():
        name, _, value = a.partition("=")
        if name == "vaas":
            director = value
            steps.append({"step": "expect-vaas-backend", "director": value,
                          "address": "127.0.0.1", "port": "$PORT0", "timeout": "20s"})
        else:
            steps.append({"step": "expect-consul-service", "name": name, "port": "$PORT0",
                          "tags": value.split(",") + ["marathon-task:$TASK_ID"],
                          "timeout": "20s"})
    steps += [{"step": "expect-consul-service", "port": "$PORT1", "absent": True},
              {"step": "kill"},
              {"step": "expect-update", "state": "TASK_KILLED", "timeout": "60s"},
              {"step": "expect-consul-service", "port": "$PORT0", "absent": True},
              {"step": "expect-executor-exit", "status": 0, "timeout": "30s"}]
    if director:
        steps.insert(-1, {"step": "expect-vaas-backend", "director": director,
                          "address": "127.0.0.1", "absent": True})
    if run_scenario(where, bins, {"name": f"{where}: the labels example", "app": app,
                                  "services": ["consul", "vaas"], "timeline": "brief",
                                  "steps": steps}, scratch, "labels-scenario.json"):
        print(f"ok   {where}: registered as the page says")


def run_scenario(where, bins, scenario, scratch, name):
    sc = os.path.join(scratch, name)
    with open(sc, "w") as f:
        json.dump(scenario, f, indent=1)
    r = subprocess.run([bins["fakeagent"], "scenario", "--executor", bins["executor"],
                        "--fakeconsul", bins["fakeconsul"], "--fakevaas", bins["fakevaas"], sc],
                       cwd=scratch, capture_output=True, text=True, timeout=280)
    print(r.stdout, end="")
    print(r.stderr, end="", file=sys.stderr)
    if r.returncode != 0:
        fail(where, f"fakeagent scenario exited {r.returncode} (its report above)")
        return False
    return True


# ---------------------------------------------------------------- the rest

LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(path):
    """GitHub's anchors of a Markdown file's headings."""
    out = set()
    with open(path) as f:
        for ln in f:
            m = re.match(r"#+\s+(.*)", ln)
            if m:
                a = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
                out.add(a)
    return out


def check_links(page, source, text):
    base = os.path.dirname(os.path.join(source, page))
    bad = 0
    for m in LINK.finditer(text):
        target = m.group(1)
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        full = os.path.normpath(os.path.join(base, path)) if path else os.path.join(source, page)
        if not os.path.exists(full):
            fail(page, f"link to {target}: no such file")
            bad += 1
        elif anchor and full.endswith(".md") and anchor not in anchors(full):
            fail(page, f"link to {target}: no such heading")
            bad += 1
    if not bad:
        print(f"ok   {page}: {len(LINK.findall(text))} links resolve")

def fake_paths(source):
    """Every "/_fake/..." string literal of the C sources (not tests)."""
    paths = set()
    for f in glob.glob(os.path.join(source, "**", "*.c"), recursive=True):
        rel = os.path.relpath(f, source)
        if rel.startswith(("tests", "build", "fuzz", "bench")):
            continue
        with open(f, errors="replace") as fh:
            for m in re.finditer(r'"(/_fake/[a-z-]*/?)"', fh.read()):
                if m.group(1) != "/_fake/":
                    paths.add(m.group(1))
    return paths


FILE_WORD = re.compile(r"[A-Za-z0-9_*./-]+\.(?:c|h|json|cmake|proto|py|sh|svg)\b")


def check_layout(where, source, body):
    """The `layout` marker: the tree a page draws is the checkout's."""
    top, sub, listed, named = None, None, set(), set()
    for ln in body.splitlines():
        indent = len(ln) - len(ln.lstrip(" "))
        words = ln.split()
        if not words:
            continue
        first = words[0]
        if indent in (0, 2) and ("." in first or first.endswith("/")):
            base = "" if indent == 0 else (top or "")
            path = base + first
            if not glob.glob(os.path.join(source, path)):
                fail(where, f"the tree names {path}, which is not in the checkout")
            if indent == 0:
                top, sub = (path if path.endswith("/") else None), None
            else:
                sub = path if path.endswith("/") else None
            if path.endswith("/"):
                listed.add(path)
            else:
                named.add(path)
        here = sub if indent > 2 and sub else (top or "")
        root = here.split("/")[0] + "/" if here else ""
        for word in FILE_WORD.findall(ln):
            pattern = os.path.join(source, root, "**", word.lstrip("./"))
            found = glob.glob(pattern, recursive=True)
            if not found:
                fail(where, f"the tree names {word} under {root or 'the top'}, "
                            "which is not in the checkout")
            named.update(os.path.relpath(f, source) for f in found)
    for d in sorted(listed):
        if d.startswith(("tests/", "bench/", "fuzz/")):
            continue  # one file per test or target: the folder's own listing says it
        for f in sorted(glob.glob(os.path.join(source, d, "*.c"))):
            rel = os.path.relpath(f, source)
            if rel not in named:
                fail(where, f"{rel} is in the checkout but not in the tree")


def check_block(page, source, lineno, info, mark, body, known, bins, scratch):
    where = f"{page}:{lineno}"
    kind, _, arg = mark.partition(" ")
    arg = arg.strip()
    try:
        if kind == "json":
            parse_json(body)
        elif kind == "agent-env":
            env = json.loads(body)
            if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
                return fail(where, "an agent's --executor_environment_variables takes an "
                                   "object of strings only")
            unknown = [k for k in env if k not in known and k != "PATH"]
            if unknown:
                return fail(where, f"not variables executor --help lists: {', '.join(unknown)}")
            if arg:
                with open(os.path.join(source, arg)) as f:
                    if json.load(f) != env:
                        return fail(where, f"the block is not {arg} as it is")
            return env
        elif kind in ("same-as", "part-of"):
            with open(os.path.join(source, arg)) as f:
                want = f.read()
            if kind == "same-as":
                try:
                    same = json.loads(body) == json.loads(want)
                except ValueError:
                    same = body.strip("\n") == want.strip("\n")
                if not same:
                    fail(where, f"the block is not {arg} as it is")
            elif ("\n" + body.strip("\n") + "\n") not in ("\n" + want):
                fail(where, f"the block's lines are not lines of {arg} in a row")
        elif kind == "layout":
            check_layout(where, source, body)
        elif kind == "labels-example":
            run_labels(where, bins, body, arg, scratch)
        elif kind == "not" and arg.startswith("run:") and len(arg) > 8:
            pass
        else:
            fail(where, f"unknown doctest marker '{mark}'")
    except (ValueError, OSError) as e:
        fail(where, f"{kind}: {e}")
    return None


def run_page(page, source, bins, known):
    with open(os.path.join(source, page)) as f:
        text = f.read()
    found, page_marks = blocks(text)
    check_links(page, source, text)
    scratch = tempfile.mkdtemp(prefix="doctest.")
    try:
        consoles, agent_env, checked = [], None, 0
        for lineno, info, mark, body in found:
            if info.split(" ")[0] == "console" and mark is None:
                consoles.append((lineno, body))
            elif mark is None:
                fail(f"{page}:{lineno}", f"a ```{info} block that is neither run nor checked "
                     "(mark it <!-- doctest: ... -->, see tests/docs/doctest.py)")
            else:
                env = check_block(page, source, lineno, info, mark, body, known, bins, scratch)
                checked += 1
                if env is not None:
                    agent_env = env
        print(f"ok   {page}: {checked} blocks checked by their markers"
              if not failures else f"..   {page}: {checked} blocks checked by their markers")
        run_transcripts(page, source, bins, consoles, scratch)
        for lineno, mark in page_marks:
            kind, _, arg = mark.partition(" ")
            if kind == "run-app":
                run_app(page, source, bins, arg.strip(), agent_env, scratch)
            elif kind == "covers" and arg.strip() == "/_fake/":
                paths = fake_paths(source)
                missing = sorted(p for p in paths
                                 if not re.search(re.escape(p) + r"(?![a-z-])", text))
                if len(paths) < 10 or missing:
                    fail(f"{page}:{lineno}", f"served but not on the page: {', '.join(missing)}")
                else:
                    print(f"ok   {page}: names all {len(paths)} /_fake/ paths the fakes serve")
            else:
                fail(f"{page}:{lineno}", f"unknown doctest marker '{mark}'")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv):
    source = os.environ.get("SOURCE_DIR", ".")
    if len(argv) > 2 and argv[1] == "--source-dir":
        source, argv = argv[2], argv[:1] + argv[3:]
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    bins = binaries()
    known = help_variables(bins)
    for page in argv[1:]:
        run_page(page, os.path.abspath(source), bins, known)
    passed = len(argv) - 1 - len({f.split(":")[0] for f in failures})
    print(f"doctest: {passed} passed, {len(argv) - 1 - passed} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
