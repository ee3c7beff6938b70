#!/usr/bin/env python3
"""Runs ansible-core's own integration targets under ansible-core and under rsible.

The targets come from ansible-core's source distribution, downloaded from the Python package
registry at run time into a cache directory (never copied into this project: it is another
project's code). Each target runs the way `ansible-test integration` runs it on a controller-only
POSIX host: a fresh copy of the target (and the targets it needs) in a temp dir whose name has
ansible-test's non-ASCII suffix, ansible-test's inventory and environment, role targets through a
generated wrapper play on `testhost`, `runme.sh` targets with the program under test as
`ansible-playbook` on PATH. `targets` (beside this file) says, for every target of the
distribution, whether rsible is expected to pass it, and why not. See README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import NoReturn

ANSIBLE_CORE_VERSION = "2.19.14"
# The sdist's digest as PyPI publishes it: a download that does not match is refused, so a
# changed or truncated file never becomes the specification.
SDIST_SHA256 = "1e7612788eaa6b3c87a3670ce86c64b830eba0ae2b3fcb25a772f276704163b4"
SDIST_NAME = f"ansible_core-{ANSIBLE_CORE_VERSION}.tar.gz"
SDIST_ROOT = f"ansible_core-{ANSIBLE_CORE_VERSION}"

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
LIST_FILE = HERE / "targets"
README = HERE / "README.md"

# ansible-test gives every work dir this suffix, so that targets meet non-ASCII paths.
UNICODE_SUFFIX = "-\u00c5\u00d1\u015a\u00cc\u03b2\u0141\u00c8"

# Commands of ansible-core that rsible does not provide. A runme.sh that calls one fails with
# this marker, which `first_cause` reports as the target's blocker.
MISSING_MARKER = "[ansible-integration] not provided by rsible:"
ANSIBLE_COMMANDS = [
    "ansible-config",
    "ansible-console",
    "ansible-doc",
    "ansible-galaxy",
    "ansible-inventory",
    "ansible-pull",
    "ansible-test",
    "ansible-vault",
    "ansible-connection",
]

STATUSES = ("pass", "fail", "blocked", "excluded")


def say(msg: str) -> None:
    print(msg, flush=True)


def die(msg: str) -> NoReturn:
    print(f"ansible-integration: {msg}", file=sys.stderr, flush=True)
    sys.exit(2)


# --- the source distribution ----------------------------------------------------------------


def cache_dir() -> Path:
    env = os.environ.get("RSIBLE_ANSIBLE_INTEGRATION_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rsible" / "ansible-integration"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_sdist(cache: Path, pip_python: str) -> Path:
    """The sdist in the cache, downloaded with pip (the registry's own client, which honours
    the machine's index, proxy and certificate settings) when missing or damaged."""
    sdist = cache / SDIST_NAME
    if sdist.is_file() and sha256_of(sdist) == SDIST_SHA256:
        return sdist
    local = os.environ.get("RSIBLE_ANSIBLE_SDIST")
    if local:
        # An sdist fetched by other means (an offline machine): checked like a download.
        digest = sha256_of(Path(local))
        if digest != SDIST_SHA256:
            die(f"{local}: sha256 {digest}, expected {SDIST_SHA256}")
        cache.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local, sdist)
        return sdist
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix="download-") as tmp:
        say(f"downloading ansible-core {ANSIBLE_CORE_VERSION}'s source distribution into {cache}")
        cmd = [
            pip_python, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
            "--dest", tmp, f"ansible-core=={ANSIBLE_CORE_VERSION}",
        ]
        result = subprocess.run(cmd)
        got = Path(tmp) / SDIST_NAME
        if result.returncode != 0 or not got.is_file():
            die(f"pip download failed (exit {result.returncode}): {' '.join(cmd)}")
        digest = sha256_of(got)
        if digest != SDIST_SHA256:
            die(f"{SDIST_NAME}: sha256 {digest}, expected {SDIST_SHA256}")
        os.replace(got, sdist)
    return sdist


def safe_members(tar: tarfile.TarFile, prefix: str):
    """The members under `prefix`, refusing any that would land outside the destination
    (the Python here may predate tarfile's extraction filters)."""
    for member in tar.getmembers():
        name = member.name
        if not name.startswith(prefix):
            continue
        if name.startswith("/") or ".." in Path(name).parts:
            die(f"{SDIST_NAME}: unsafe member {name}")
        if member.issym() or member.islnk():
            target = os.path.normpath(os.path.join(os.path.dirname(name), member.linkname))
            if member.linkname.startswith("/") or target.startswith(".."):
                die(f"{SDIST_NAME}: link {name} points outside: {member.linkname}")
        if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
            continue
        yield member


def unpack_integration(cache: Path, sdist: Path) -> Path:
    """`test/integration/` of the sdist, unpacked once into the cache."""
    root = cache / SDIST_ROOT
    integration = root / "test" / "integration"
    done = root / ".unpacked"
    if done.is_file():
        return integration
    if root.exists():
        shutil.rmtree(root)
    say(f"unpacking test/integration/ into {root}")
    with tarfile.open(sdist) as tar:
        tar.extractall(cache, members=list(safe_members(tar, f"{SDIST_ROOT}/test/integration/")))
    done.write_text(SDIST_SHA256 + "\n")
    return integration


# --- targets and their aliases ---------------------------------------------------------------


@dataclasses.dataclass
class Target:
    name: str
    path: Path
    kind: str  # "script" (runme.sh), "role" (tasks/main.yml) or "other"
    aliases: list[str]

    def has(self, prefix: str) -> bool:
        """True when an alias is `prefix` or starts with `prefix/` (ansible-test's groups)."""
        return any(a == prefix or a.startswith(prefix + "/") for a in self.aliases)

    def values(self, prefix: str) -> list[str]:
        """The third part of each `prefix/<value>[/…]` alias (needs/target/X → X)."""
        out = []
        for a in self.aliases:
            if a.startswith(prefix + "/"):
                out.append(a[len(prefix) + 1:].split("/")[0])
        return out

    @property
    def hidden(self) -> bool:
        return (
            self.has("hidden")
            or self.kind == "other"
            or self.name.startswith("setup_")
            or self.name.startswith("prepare_")
        )

    @property
    def gather_facts(self) -> bool:
        return not self.has("gather_facts/no")

    def env_set(self) -> dict[str, str]:
        """`env/set/NAME/VALUE` aliases: variables ansible-test sets for the target."""
        env = {}
        for a in self.aliases:
            if a.startswith("env/set/"):
                parts = a.split("/", 3)
                if len(parts) == 4:
                    env[parts[2]] = parts[3]
        return env


def read_aliases(path: Path) -> list[str]:
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


def load_targets(targets_dir: Path) -> dict[str, Target]:
    targets = {}
    for entry in sorted(targets_dir.iterdir()):
        if not entry.is_dir():
            continue
        if (entry / "runme.sh").is_file():
            kind = "script"
        elif (entry / "tasks" / "main.yml").is_file():
            kind = "role"
        else:
            kind = "other"
        targets[entry.name] = Target(entry.name, entry, kind, read_aliases(entry / "aliases"))
    return targets


def alias_exclusion(t: Target) -> str | None:
    """Why ansible-test's aliases keep the target off a plain controller-only host here, or
    None. The order puts the strongest reason first."""
    if t.hidden:
        return "support target (hidden: run only as another target's dependency)"
    checks = [
        ("disabled", "disabled upstream"),
        ("unsupported", "unsupported upstream"),
        ("windows", "Windows host"),
        ("network", "network device"),
        ("cloud", "cloud or external service"),
        ("needs/httptester", "needs ansible-test's HTTP test container"),
        ("needs/privileged", "needs a privileged container"),
        ("needs/root", "needs root"),
        ("destructive", "destructive (changes the machine it runs on)"),
        ("needs/ssh", "needs SSH to the controller"),
    ]
    for prefix, why in checks:
        if t.has(prefix):
            return why
    if not any(a.startswith("shippable/posix") for a in t.aliases):
        return "not run by ansible-core's CI on POSIX hosts"
    if t.name == "ansible-test" or t.name.startswith("ansible-test-"):
        return "tests ansible-test itself"
    return None


def dependencies(name: str, targets: dict[str, Target]) -> list[str]:
    """The target and every target it needs, as ansible-test computes them: `needs/target/`
    and `setup/` aliases, symlinks into other targets, hidden role names in `meta/` files."""
    hidden_roles = [t.name for t in targets.values() if t.kind == "role" and t.hidden]
    seen: list[str] = []
    todo = [name]
    while todo:
        cur = todo.pop()
        if cur in seen or cur not in targets:
            continue
        seen.append(cur)
        t = targets[cur]
        todo += t.values("needs/target") + t.values("setup/always") + t.values("setup/once")
        root = t.path.parent.resolve()
        for dirpath, dirnames, filenames in os.walk(t.path):
            for entry in dirnames + filenames:
                p = Path(dirpath) / entry
                if p.is_symlink():
                    real = p.resolve()
                    try:
                        todo.append(real.relative_to(root).parts[0])
                    except (ValueError, IndexError):
                        pass
        meta = t.path / "meta"
        if meta.is_dir():
            for f in meta.rglob("*"):
                if not f.is_file():
                    continue
                try:
                    lines = f.read_text(encoding="utf-8").splitlines()
                except UnicodeDecodeError:
                    continue
                for line in lines:
                    if not line.strip() or re.match(r"^ *#", line):
                        continue
                    todo += [h for h in hidden_roles if h in line]
    return seen


# --- the list -----------------------------------------------------------------------------


@dataclasses.dataclass
class Entry:
    name: str
    status: str
    why: str


def load_list() -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    for n, line in enumerate(LIST_FILE.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 2 or parts[1] not in STATUSES:
            die(f"{LIST_FILE}:{n}: expected `name {'|'.join(STATUSES)} [why]`")
        if parts[0] in entries:
            die(f"{LIST_FILE}:{n}: {parts[0]} is listed twice")
        if parts[1] != "pass" and len(parts) < 3:
            die(f"{LIST_FILE}:{n}: {parts[0]} is {parts[1]}: say why")
        entries[parts[0]] = Entry(parts[0], parts[1], parts[2] if len(parts) > 2 else "")
    return entries


def audit(targets: dict[str, Target], entries: dict[str, Entry]) -> list[str]:
    """Disagreements between the list and the distribution: every target listed once, the
    alias-excluded ones listed as excluded."""
    problems = []
    for name, t in targets.items():
        e = entries.get(name)
        if e is None:
            problems.append(f"{name}: not in {LIST_FILE.name} (aliases: {' '.join(t.aliases)})")
            continue
        why = alias_exclusion(t)
        if why and e.status != "excluded":
            problems.append(f"{name}: listed {e.status} but its aliases exclude it ({why})")
    for name in entries:
        if name not in targets:
            problems.append(f"{name}: listed but not in ansible-core {ANSIBLE_CORE_VERSION}")
    return problems


# --- running a target ---------------------------------------------------------------------


@dataclasses.dataclass
class Program:
    name: str  # "ansible-core" or "rsible"
    bin_dir: Path  # first on PATH: its ansible-playbook (and what else it provides)


def make_rsible_bin(out: Path, rsible_dir: Path) -> Path:
    """A directory for PATH in which `ansible-playbook` is rsible-playbook (as
    `scripts/install.sh --as-ansible` links it), `ansible` is rsible's `ansible`, `python` is the
    system Python (not ansible-core's) and ansible-core's other commands fail loudly."""
    bin_dir = out / "rsible-bin"
    if bin_dir.exists():
        shutil.rmtree(bin_dir)
    bin_dir.mkdir(parents=True)
    for exe in ("rsible-playbook", "ansible"):
        if not (rsible_dir / exe).is_file():
            die(f"{rsible_dir / exe} is missing (cargo build -p rsible-cli --bins)")
    (bin_dir / "ansible-playbook").symlink_to(rsible_dir / "rsible-playbook")
    (bin_dir / "rsible-playbook").symlink_to(rsible_dir / "rsible-playbook")
    (bin_dir / "ansible").symlink_to(rsible_dir / "ansible")
    for py in ("python", "python3"):
        (bin_dir / py).symlink_to(system_python())
    for cmd in ANSIBLE_COMMANDS:
        stub = bin_dir / cmd
        stub.write_text(f'#!/bin/sh\necho "{MISSING_MARKER} {cmd}" >&2\nexit 127\n')
        stub.chmod(0o755)
    return bin_dir


def system_python() -> str:
    return os.environ.get("RSIBLE_INTEGRATION_PYTHON", "/usr/bin/python3")


def build_rsible() -> Path:
    """rsible's binaries, built by cargo for this run (never a stale build)."""
    say("building rsible-playbook (cargo build -p rsible-cli --bins)")
    result = subprocess.run(["cargo", "build", "--quiet", "-p", "rsible-cli", "--bins"], cwd=REPO)
    if result.returncode != 0:
        die("cargo build failed")
    target_dir = os.environ.get("CARGO_TARGET_DIR") or str(REPO / "target")
    return Path(target_dir) / "debug"


INVENTORY = (
    "[testgroup]\n"
    "testhost ansible_connection=local ansible_pipelining=yes "
    "ansible_python_interpreter={python}\n"
)


def ensure_locale(cache: Path) -> str | None:
    """A LOCPATH holding en_US.UTF-8 when the system lacks it (the tags target runs under
    that locale, which ansible-test's containers have), built once into the cache with
    localedef; None when the system has it or cannot build it."""
    listed = subprocess.run(["locale", "-a"], capture_output=True, text=True)
    if any(name.lower() in ("en_us.utf8", "en_us.utf-8") for name in listed.stdout.split()):
        return None
    locpath = cache / "locale"
    if (locpath / "en_US.UTF-8").is_dir():
        return str(locpath)
    if shutil.which("localedef") is None:
        say("note: no en_US.UTF-8 locale and no localedef; the tags target will fail")
        return None
    say(f"building the en_US.UTF-8 locale into {locpath} (localedef)")
    locpath.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["localedef", "-i", "en_US", "-f", "UTF-8",
                             str(locpath / "en_US.UTF-8")])
    if result.returncode != 0:
        say(f"note: localedef failed (exit {result.returncode}); the tags target will fail")
        return None
    return str(locpath)


def target_env(prog: Program, t: Target, run: Path, integration: Path, output_dir: Path,
               cwd: Path, locpath: str | None) -> dict[str, str]:
    """ansible-test's environment for an integration target (ansible_environment and
    integration_environment in its source), built from scratch so nothing of the caller's
    shell leaks in."""
    tmp = run / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": f"{prog.bin_dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        # The caller's HOME, as under ansible-test: ansible-core expands `~` for a local host
        # both from HOME and from the password database (async_status looks for its job in the
        # user's real home), so a HOME of the run's own breaks the async targets.
        "HOME": os.path.expanduser("~"),
        "TMPDIR": str(tmp),
        "USER": os.environ.get("USER", "root"),
        "LOGNAME": os.environ.get("LOGNAME", os.environ.get("USER", "root")),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "SHELL": "/bin/bash",
        "PAGER": "/bin/cat",
        "ANSIBLE_PYTHON_MODULE_RLIMIT_NOFILE": "1024",
        "ANSIBLE_FORCE_COLOR": "false",
        "ANSIBLE_FORCE_HANDLERS": "true",
        "ANSIBLE_HOST_PATTERN_MISMATCH": "error",
        "ANSIBLE_INVENTORY": "/dev/null",
        "ANSIBLE_DEPRECATION_WARNINGS": "false",
        "ANSIBLE_HOST_KEY_CHECKING": "false",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_CONFIG": str(integration / "integration.cfg"),
        "ANSIBLE_LIBRARY": "/dev/null",
        "ANSIBLE_DEVEL_WARNING": "false",
        # ansible-test points this at a path that cannot exist, to make targets name their
        # interpreter in the inventory; here the system Python is a working fallback for the
        # few ad-hoc inventories (`-i localhost,`) whose interpreter discovery would otherwise
        # pick a pyenv shim.
        "ANSIBLE_PYTHON_INTERPRETER": system_python(),
        "ANSIBLE_TEST_CI": "",
        "ANSIBLE_TEST_COVERAGE": "",
        "ANSIBLE_TEST_ANSIBLE_VERSION": ANSIBLE_CORE_VERSION,
        "OUTPUT_DIR": str(output_dir),
        "INVENTORY_PATH": str(integration / "inventory"),
        "ANSIBLE_PLAYBOOK_DIR": str(cwd),
        # Set by ansible-test (scripts read them under `set -u`); ansible-core is installed in
        # the oracle's Python, so nothing needs to be on the path.
        "PYTHONPATH": "",
        "JUNIT_OUTPUT_DIR": str(run / "junit"),
        "JUNIT_TASK_RELATIVE_PATH": str(integration.parent.parent),
        "JUNIT_REPLACE_OUT_OF_TREE_PATH": "out-of-tree:",
    }
    if locpath:
        env["LOCPATH"] = locpath
    env.update(t.env_set())
    return env


def first_cause(log: str) -> str:
    """The first thing that went wrong, from a target's log: a missing command, a failed task
    that was not ignored, an error block, a diagnostic; else the last command the runme.sh
    traced before it stopped."""
    lines = log.splitlines()

    def ignored(i: int) -> bool:
        return any("...ignoring" in follow for follow in lines[i + 1:i + 3])

    for i, line in enumerate(lines):
        if MISSING_MARKER in line:
            return "needs `" + line.split(MISSING_MARKER, 1)[1].strip() + "`"
        if line.startswith("fatal: [") or line.startswith("failed: ["):
            end = json_end(lines, i)
            if ignored(end):
                continue
            return summarize_fatal(joined(lines, i, end))
        if line.startswith("[ERROR]: Task failed"):
            # The task's result follows the error block; it says more (stderr), and tells
            # whether the failure was ignored.
            follow = next((j for j in range(i + 1, min(i + 60, len(lines)))
                           if lines[j].startswith(("fatal: [", "failed: ["))), None)
            if follow is not None:
                end = json_end(lines, follow)
                if ignored(end):
                    continue
                return summarize_fatal(joined(lines, follow, end))
        if line.startswith("[ERROR]: ") or line.startswith("ERROR! "):
            text = line.split(" ", 1)[1]
            return "[ERROR]: " + text[:300]
        if line.startswith("error: "):
            where = ""
            if i + 1 < len(lines) and lines[i + 1].lstrip().startswith("--> "):
                where = " (" + lines[i + 1].split("--> ", 1)[1].strip() + ")"
            return line[:300] + where
    traced = [line for line in lines if line.startswith("+ ")]
    if traced:
        return "last command: " + traced[-1][2:][:300]
    tail = [line for line in lines if line.strip()]
    return tail[-1][:300] if tail else "no output"


def json_end(lines: list[str], i: int) -> int:
    """The last line of the result a `fatal:` line starts: itself, or with `-v` the `}` that
    closes the JSON it opens."""
    if not lines[i].endswith("=> {"):
        return i
    for j in range(i + 1, len(lines)):
        if lines[j] == "}":
            return j
    return i


def joined(lines: list[str], start: int, end: int) -> str:
    return "\n".join(lines[start:end + 1])


def summarize_fatal(line: str) -> str:
    """`fatal: [h]: FAILED! => {...}` reduced to its task result's `msg` (and the first line
    of stderr when the message is only that a command failed)."""
    head, _, payload = line.partition("=> ")
    try:
        result = json.loads(payload)
    except ValueError:
        return line.splitlines()[0][:300]
    if not isinstance(result, dict):
        return head[:300]
    msg = result.get("msg")
    if result.get("assertion") is not None:
        msg = f"{msg}: {result['assertion']}"
    if isinstance(msg, (list, dict)):
        msg = json.dumps(msg)
    stderr = str(result.get("stderr") or "").strip().splitlines()
    if not msg and result.get("failed_when_result"):
        msg = "failed_when matched"
    if not msg:
        msg = result.get("message") or (stderr[0] if stderr else payload)
    elif stderr and ("non-zero return code" in msg or "MODULE FAILURE" in msg):
        msg = f"{msg}: {stderr[0]}"
    if result.get("cmd"):
        cmd = result["cmd"]
        cmd = " ".join(cmd) if isinstance(cmd, list) else str(cmd)
        msg = f"{msg} (cmd: {cmd[:100]})"
    return ("task failed: " + str(msg)).replace("\n", " ")[:300]


def run_target(prog: Program, t: Target, targets: dict[str, Target], out: Path, timeout: int,
               keep: bool, locpath: str | None) -> tuple[str, str, float]:
    """Runs one target under one program; (PASS or FAIL, reason, seconds). The log is
    `<out>/<program>/<target>.log`."""
    run = out / prog.name / t.name
    if run.exists():
        shutil.rmtree(run)
    work = run / ("work" + UNICODE_SUFFIX)
    integration = work / "test" / "integration"
    targets_dir = integration / "targets"
    targets_dir.mkdir(parents=True)
    for dep in dependencies(t.name, targets):
        shutil.copytree(targets[dep].path, targets_dir / dep, symlinks=True)
    (integration / "integration.cfg").write_text("")
    (integration / "inventory").write_text(INVENTORY.format(python=system_python()))
    output_dir = run / ("output_dir" + UNICODE_SUFFIX)
    output_dir.mkdir()

    if t.kind == "script":
        cwd = targets_dir / t.name
        cmd = ["./runme.sh"]
    else:
        cwd = integration
        play = {
            "hosts": "testhost",
            "gather_facts": t.gather_facts,
            "vars_files": [],
            "vars": {"output_dir": str(output_dir)},
            "roles": [t.name],
        }
        playbook = integration / f"{t.name}-wrapper.yml"
        playbook.write_text(json.dumps([play], indent=4, sort_keys=True))
        cmd = ["ansible-playbook", playbook.name, "-i", "inventory"]
    env = target_env(prog, t, run, integration, output_dir, cwd, locpath)
    if t.kind == "role":
        env["ANSIBLE_ROLES_PATH"] = str(targets_dir)

    log_path = out / prog.name / f"{t.name}.log"
    start = time.monotonic()
    timed_out = False
    with open(log_path, "wb") as log:
        log.write(f"# {prog.name}: {' '.join(cmd)} in {cwd}\n".encode())
        log.flush()
        # A session of its own, so a timeout ends the whole process group this runner started.
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(proc)
            rc = proc.returncode
    seconds = time.monotonic() - start
    if not keep:
        shutil.rmtree(run, ignore_errors=True)
    if timed_out:
        return "FAIL", f"timed out after {timeout}s", seconds
    if rc == 0:
        return "PASS", "", seconds
    text = log_path.read_text(encoding="utf-8", errors="replace")
    # Paths relative to the targets dir, so reasons read the same on every run.
    cause = first_cause(text).replace(str(targets_dir) + "/", "").replace(str(output_dir), "$OUTPUT_DIR")
    return "FAIL", f"exit {rc}: {cause}", seconds


def kill_group(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


# --- the README's generated table ----------------------------------------------------------

README_BEGIN = "<!-- BEGIN generated by run.sh --readme -->"
README_END = "<!-- END generated -->"


def readme_table(targets: dict[str, Target], entries: dict[str, Entry]) -> str:
    rows = {s: [] for s in STATUSES}
    for name in sorted(entries):
        e = entries[name]
        kind = targets[name].kind if name in targets else "?"
        rows[e.status].append((name, kind, e.why))
    titles = {
        "pass": "Run, expected to pass under rsible (`--expect-pass` fails if one does not)",
        "fail": "Run, failing under rsible today (first cause)",
        "blocked": "Not run under rsible: need a command rsible does not provide",
        "excluded": "Left out (not runnable on a plain controller here, or ansible-core fails it here)",
    }
    parts = []
    for status in STATUSES:
        parts.append(f"### {titles[status]}: {len(rows[status])}\n")
        parts.append("| target | kind | why |\n|---|---|---|")
        for name, kind, why in rows[status]:
            parts.append(f"| `{name}` | {kind} | {why.replace('|', '/')} |")
        parts.append("")
    return "\n".join(parts)


def update_readme(table: str, check: bool) -> bool:
    text = README.read_text(encoding="utf-8")
    if README_BEGIN not in text or README_END not in text:
        die(f"{README} lacks the markers {README_BEGIN} / {README_END}")
    head, rest = text.split(README_BEGIN, 1)
    _, tail = rest.split(README_END, 1)
    new = f"{head}{README_BEGIN}\n{table}\n{README_END}{tail}"
    if check:
        return new == text
    README.write_text(new, encoding="utf-8")
    return True


# --- main -----------------------------------------------------------------------------------


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("targets", nargs="*", help="run only these targets (default: the list's)")
    p.add_argument("--expect-pass", action="store_true",
                   help="run only the targets expected to pass under rsible; exit 1 unless "
                        "each passes under both programs")
    p.add_argument("--all", action="store_true",
                   help="also run the blocked targets (under both programs)")
    p.add_argument("--program", choices=("both", "ansible-core", "rsible"), default="both")
    p.add_argument("--timeout", type=int,
                   default=int(os.environ.get("RSIBLE_INTEGRATION_TIMEOUT", "900")),
                   help="seconds per target and program (default 900)")
    p.add_argument("--out", type=Path,
                   default=Path(os.environ.get("RSIBLE_INTEGRATION_OUT",
                                               REPO / "target" / "ansible-integration")),
                   help="logs: <out>/<program>/<target>.log (default target/ansible-integration)")
    p.add_argument("--rsible-bin", type=Path, default=os.environ.get("RSIBLE_BIN_DIR"),
                   help="directory with rsible-playbook and ansible (default: cargo build)")
    p.add_argument("--keep", action="store_true", help="keep each target's work dir")
    p.add_argument("--audit", action="store_true",
                   help="check the list against the distribution and the README, then exit")
    p.add_argument("--readme", action="store_true", help="regenerate the README's tables")
    args = p.parse_args()

    oracle = Path(os.environ.get("RSIBLE_ANSIBLE_PLAYBOOK",
                                 "/opt/ansible-venv/bin/ansible-playbook"))
    cache = cache_dir()
    sdist = download_sdist(cache, str(oracle.parent / "python"))
    integration_src = unpack_integration(cache, sdist)
    targets = load_targets(integration_src / "targets")
    entries = load_list()

    if args.audit or args.readme:
        problems = audit(targets, entries)
        for problem in problems:
            say(f"list: {problem}")
        table = readme_table(targets, entries)
        if args.readme:
            update_readme(table, check=False)
            say(f"updated {README}")
        elif not update_readme(table, check=True):
            problems.append("README")
            say(f"README: its tables differ from {LIST_FILE.name} (run.sh --readme)")
        return 1 if problems else 0

    if args.targets:
        chosen = []
        for name in args.targets:
            if name not in targets:
                die(f"no target {name} in ansible-core {ANSIBLE_CORE_VERSION}")
            chosen.append(name)
    else:
        wanted = {"pass"} if args.expect_pass else ({"pass", "fail", "blocked"} if args.all
                                                      else {"pass", "fail"})
        chosen = [n for n, e in entries.items() if e.status in wanted]

    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out.resolve()
    programs = []
    if args.program in ("both", "ansible-core"):
        if not oracle.is_file():
            die(f"{oracle} not found (set RSIBLE_ANSIBLE_PLAYBOOK)")
        programs.append(Program("ansible-core", oracle.parent))
    if args.program in ("both", "rsible"):
        rsible_dir = args.rsible_bin.resolve() if args.rsible_bin else build_rsible()
        programs.append(Program("rsible", make_rsible_bin(out, rsible_dir)))

    locpath = ensure_locale(cache)
    results: dict[str, dict[str, tuple[str, str, float]]] = {}
    for prog in programs:
        (out / prog.name).mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    for name in chosen:
        t = targets[name]
        entry = entries.get(name)
        results[name] = {}
        for prog in programs:
            if prog.name == "rsible" and entry and entry.status == "blocked" and not (
                    args.all or args.targets):
                res = ("SKIP", f"blocked: {entry.why}", 0.0)
            elif entry and entry.status == "excluded" and not args.targets:
                res = ("SKIP", f"excluded: {entry.why}", 0.0)
            else:
                res = run_target(prog, t, targets, out, args.timeout, args.keep, locpath)
            results[name][prog.name] = res
            status, reason, seconds = res
            detail = f"{prog.name}, {seconds:.0f}s" + (f": {reason}" if reason else "")
            say(f"{status} {name} ({detail})")
    total = time.monotonic() - started

    say("")
    say(f"== summary ({len(chosen)} targets, {total:.0f}s; logs in {out})")
    bad = []
    for prog in programs:
        counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
        secs = 0.0
        for name in chosen:
            status, _, seconds = results[name][prog.name]
            counts[status] += 1
            secs += seconds
        say(f"{prog.name}: {counts['PASS']} passed, {counts['FAIL']} failed, "
            f"{counts['SKIP']} skipped ({secs:.0f}s)")
    for name in chosen:
        entry = entries.get(name)
        expected = entry.status if entry else "?"
        for prog in programs:
            status, reason, _ = results[name][prog.name]
            if expected == "pass" and status == "FAIL":
                bad.append(f"{name} fails under {prog.name} ({reason})")
            if prog.name == "rsible" and expected == "fail" and status == "PASS":
                say(f"note: {name} passes under rsible; mark it `pass` in {LIST_FILE.name}")
    for b in bad:
        say(f"expected to pass: {b}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
