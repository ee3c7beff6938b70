#!/usr/bin/env python3
"""Benchmark harness behind bench/run.sh (standard library only; see bench/README.md).

Brings up N tier-1 test hosts (tests/hosts/README.md), runs the benchmark playbooks with rsible,
ansible-core with pipelining and ansible-core with mitogen (and, for `sync`, a bare rsync floor),
each program run inside its own cgroup v1 cpuacct group, and writes a markdown report.

Order (interleaved, so that drifting machine load hits every program alike):
    for N in hosts: for run in 1..runs: for playbook: for program.
"""

import argparse
import ctypes
import datetime
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

CGROUP_CPUACCT = "/sys/fs/cgroup/cpuacct"
# One harness set holds at most 240 hosts (one /24: addresses .11 to .250); larger N is split
# into several sets, each with its own host name prefix, and their inventories are concatenated.
MAX_HOSTS_PER_SET = 240
SET_PREFIXES = ["h"] + ["h" + chr(c) for c in range(ord("b"), ord("z") + 1)]

PROGRAM_TITLES = {
    "rsible": "rsible",
    "ansible": "ansible-core + pipelining",
    "mitogen": "ansible-core + mitogen",
    "floor": "rsync floor",
}
PLAYBOOKS = ["noop", "files", "facts", "pyinfra", "sync"]
# Report rows per playbook, and tasks per host (the divisor of ms/task-host; facts: per host).
ROWS = {
    "noop": [("noop", 20)],
    "files": [("files1", 20), ("files2", 20)],
    "facts": [("facts", 1)],
    "pyinfra": [("pyinfra", 4)],
    "sync": [("sync1", 1), ("sync2", 1)],
}
RECAP_RE = re.compile(
    r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M
)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Playbooks


def write_playbooks(work, sync_src):
    pbdir = os.path.join(work, "playbooks")
    os.makedirs(pbdir, exist_ok=True)
    head = "- hosts: all\n  gather_facts: false\n  tasks:\n"
    base = "/tmp/bench-{{ inventory_hostname }}"

    noop = "".join(
        f"    - name: noop {i}\n      command: /bin/true\n      changed_when: false\n"
        for i in range(20)
    )
    write(pbdir, "noop.yml", head + noop)

    # 20 tasks: 5 file state=directory, 5 copy content=, 3 template, 4 lineinfile, 3 stat.
    t = []
    for i in range(5):
        d = base if i == 0 else f"{base}/d{i}"
        t.append(f"    - name: directory {i}\n      file: path={d} state=directory mode=0755\n")
    for i in range(5):
        t.append(
            f"    - name: copy {i}\n      copy:\n        content: \"c{i} {{{{ inventory_hostname }}}}\\n\"\n"
            f"        dest: {base}/c{i}\n        mode: \"0644\"\n"
        )
    for i in range(3):
        t.append(
            f"    - name: template {i}\n      template: src={pbdir}/t.j2 dest={base}/t{i} mode=0644\n"
        )
    for i in range(4):
        t.append(
            f"    - name: lineinfile {i}\n      lineinfile:\n        path: {base}/lines\n"
            f"        line: \"key{i} = {{{{ inventory_hostname }}}}\"\n"
            f"        regexp: \"^key{i} \"\n        create: true\n        mode: \"0644\"\n"
        )
    for i in range(3):
        t.append(f"    - name: stat {i}\n      stat: path={base}/c{i}\n")
    assert len(t) == 20
    write(pbdir, "files.yml", head + "".join(t))
    write(pbdir, "t.j2", "{{ inventory_hostname }} {{ 21 * 2 }} {{ ansible_host }}\n")

    write(pbdir, "facts.yml", "- hosts: all\n  gather_facts: true\n  tasks: []\n")

    # pyinfra-performance's 4-task playbook (Fizzadar/pyinfra-performance,
    # tests/playbook/playbook.yml: user, file touch, copy, shell). Tier-1 hosts share the
    # machine's filesystem and /etc/passwd, so everything is made per host: the user is
    # bench_<host> with its home /tmp/bench-<host> (instead of /home/pyinfra), the "log file" is
    # /tmp/bench-<host>/pyinfra.log instead of /var/log/pyinfra.log. The harness removes the
    # users (userdel) and the directories after each run. useradd on the one /etc/passwd gives
    # up ("cannot lock /etc/passwd") when hundreds of hosts add users at once and its lock waits
    # more than 15 s, a tier-1 artifact: the user task retries then (counts are unchanged).
    write(pbdir, "test_file.txt", "pyinfra performance test file\n" * 4)
    write(
        pbdir,
        "pyinfra.yml",
        "- hosts: all\n  gather_facts: false\n  max_fail_percentage: 0\n  tasks:\n"
        "    - name: Add pyinfra user\n"
        f"      user: name=bench_{{{{ inventory_hostname }}}} home={base} shell=/bin/bash\n"
        "      register: added\n      until: added is succeeded\n      retries: 30\n      delay: 1\n"
        "    - name: Add log file\n"
        f"      file: path={base}/pyinfra.log state=touch owner=bench_{{{{ inventory_hostname }}}} mode=0777\n"
        "    - name: Copy a file\n"
        f"      copy: src={pbdir}/test_file.txt dest={base}/test_file.txt owner=bench_{{{{ inventory_hostname }}}}\n"
        "    - name: Run some shell\n"
        "      shell: echo \"hi!\"\n",
    )

    # compress: false so that the programs run the same rsync as the floor (`rsync -a`); the
    # tree is random bytes, which compression would only slow down.
    write(
        pbdir,
        "sync.yml",
        head + "    - name: Push the tree\n      ansible.posix.synchronize:\n"
        f"        src: {sync_src}/\n        dest: /tmp/bench-sync-{{{{ inventory_hostname }}}}/\n"
        "        compress: false\n",
    )
    return pbdir


def write(d, name, text):
    with open(os.path.join(d, name), "w") as f:
        f.write(text)


def make_sync_tree(root, mb, files):
    """`files` files of random bytes, `mb` MB in all, 200 per directory."""
    os.makedirs(root)
    size = max(1, mb * 1024 * 1024 // files)
    paths = []
    for i in range(files):
        d = os.path.join(root, f"d{i // 200:03d}")
        if i % 200 == 0:
            os.makedirs(d)
        p = os.path.join(d, f"f{i:05d}.bin")
        with open(p, "wb") as f:
            f.write(os.urandom(size))
        paths.append(p)
    return paths


# ---------------------------------------------------------------------------------------------
# Test hosts


class Hosts:
    """N tier-1 hosts, in ceil(N / 240) harness sets."""

    def __init__(self, testhosts, work, n):
        self.testhosts = testhosts
        self.n = n
        self.sets = []  # (dir, Popen, prefix, count)
        self.names = []
        self.ssh_config = {}  # host -> ssh_config file
        nsets = -(-n // MAX_HOSTS_PER_SET)
        base, extra = divmod(n, nsets)
        for k in range(nsets):
            count = base + (1 if k < extra else 0)
            d = os.path.join(work, f"hosts-{n}-{k}")
            prefix = SET_PREFIXES[k]
            logf = open(d + ".log", "w")
            p = subprocess.Popen(
                [testhosts, "up", "--count", str(count), "--tier", "1", "--dir", d,
                 "--prefix", prefix],
                stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
            logf.close()
            self.sets.append((d, p, prefix, count))
            HOST_PROCS.append(p)
            # Sets come up one after the other: each claims its own /24 and the machine has
            # 2 cores anyway.
            try:
                self._wait(d, p, count)
            except BaseException:
                self.down()
                raise
            for i in range(1, count + 1):
                self.names.append(f"{prefix}{i}")
                self.ssh_config[f"{prefix}{i}"] = os.path.join(d, "ssh_config")
        self.inventory = os.path.join(work, f"inventory-{n}")
        with open(self.inventory, "w") as out:
            for d, _, _, _ in self.sets:
                with open(os.path.join(d, "inventory")) as f:
                    out.write(f.read())

    @staticmethod
    def _wait(d, p, count):
        deadline = time.monotonic() + 60 + count  # 500 hosts: a few seconds per ten here
        while not os.path.exists(os.path.join(d, "state")):
            if p.poll() is not None:
                raise RuntimeError(f"rsible-testhosts up exited {p.returncode}:\n" + tail(d + ".log"))
            if time.monotonic() > deadline:
                raise RuntimeError(f"{count} hosts not up after {60 + count} s:\n" + tail(d + ".log"))
            time.sleep(0.2)

    def down(self):
        for d, p, _, _ in self.sets:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for d, p, _, count in self.sets:
            try:
                p.wait(timeout=60 + count)
            except subprocess.TimeoutExpired:
                subprocess.run([self.testhosts, "down", "--dir", d], check=False,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                p.wait()
        self.sets = []
        HOST_PROCS.clear()


def tail(path, lines=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return str(e)


# ---------------------------------------------------------------------------------------------
# Measurement: one program run in a fresh cpuacct cgroup


class Cgroup:
    counter = 0

    def __init__(self):
        Cgroup.counter += 1
        self.path = os.path.join(CGROUP_CPUACCT, f"rsible-bench-{os.getpid()}-{Cgroup.counter}")
        os.mkdir(self.path)
        ACTIVE_CGROUPS.add(self)

    def usage_ns(self):
        with open(os.path.join(self.path, "cpuacct.usage")) as f:
            return int(f.read())

    def pids(self):
        try:
            with open(os.path.join(self.path, "cgroup.procs")) as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            return []

    def kill_now(self):
        """SIGKILL to everything in the group (a timed-out run); the waiter reaps."""
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def kill_all(self, timeout=10.0):
        """Ends what is left in the group (daemonized ssh masters): TERM, then KILL."""
        deadline = time.monotonic() + timeout
        sig = signal.SIGTERM
        while True:
            pids = self.pids()
            if not pids:
                return
            if time.monotonic() > deadline - timeout / 2:
                sig = signal.SIGKILL
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            reap_children()
            if time.monotonic() > deadline:
                log(f"warning: processes left in {self.path}: {pids}")
                return
            time.sleep(0.1)

    def remove(self):
        self.kill_all()
        try:
            os.rmdir(self.path)
        except OSError as e:
            log(f"warning: {self.path}: {e}")
        ACTIVE_CGROUPS.discard(self)


def reap_children():
    """The harness is a child subreaper: daemonized ssh masters become its children."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        for h in HOST_PROCS:
            if h.pid == pid:
                h.returncode = -1


ACTIVE_CGROUPS = set()  # removed at exit, whatever happened
HOST_PROCS = []  # Popen objects of `rsible-testhosts up`, which reap_children must not steal


def set_child_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
        sys.exit(f"bench: prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(ctypes.get_errno())}")


class PssSampler(threading.Thread):
    """Peak of the summed Pss (smaps_rollup) of every process in the cgroup, every ~100 ms.

    The interval grows with the cost of a sample (≥ 9 × its duration) so that sampling a few
    hundred processes stays under ~10 % of one core."""

    def __init__(self, cgroup):
        super().__init__(daemon=True)
        self.cgroup = cgroup
        self.stop = threading.Event()
        self.peak_kb = 0
        self.samples = 0

    def sample(self):
        total = 0
        for pid in self.cgroup.pids():
            try:
                with open(f"/proc/{pid}/smaps_rollup") as f:
                    for line in f:
                        if line.startswith("Pss:"):
                            total += int(line.split()[1])
                            break
            except (OSError, ValueError):
                pass
        self.samples += 1
        self.peak_kb = max(self.peak_kb, total)

    def run(self):
        while not self.stop.is_set():
            t0 = time.monotonic()
            self.sample()
            self.stop.wait(max(0.1, 9 * (time.monotonic() - t0)))


class Result:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def run_measured(argv, env, cwd, out_path, cgroup=None, timeout=3600.0):
    """Runs argv inside a cgroup; returns wall, cpu (s of the whole tree), maxrss (KB, wait4),
    peak tree PSS (KB), rc. With `cgroup` given, the group is the caller's (kept afterwards)."""
    own = cgroup is None
    cg = cgroup or Cgroup()
    procs_file = os.path.join(cg.path, "cgroup.procs")
    pid_file = out_path + ".pid"
    # The wrapper joins the group and starts the program in the background, then exits: the
    # program, orphaned, becomes a child of this harness (a child subreaper), whose wait4 gets
    # its rusage. Not exec'd from a fork of this Python process, because ru_maxrss keeps the
    # largest RSS a process had across exec (it would be this harness's).
    wrapped = ["/bin/sh", "-c", 'echo $$ > "$0" || exit 1; p=$1; shift; "$@" & echo $! > "$p"',
               procs_file, pid_file] + argv
    cpu0 = cg.usage_ns()
    sampler = PssSampler(cg)
    with open(out_path, "wb") as out:
        t0 = time.monotonic()
        sh = subprocess.Popen(wrapped, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL)
        if sh.wait() != 0:
            raise RuntimeError(f"could not start {argv[0]} in {cg.path}")
        with open(pid_file) as f:
            pid = int(f.read())
        sampler.start()
        timer = threading.Timer(timeout, cg.kill_now)
        timer.start()
        _, status, ru = os.wait4(pid, 0)
        wall = time.monotonic() - t0
        timer.cancel()
    rc = os.waitstatus_to_exitcode(status)
    sampler.stop.set()
    sampler.join()
    if own:
        cg.kill_all()
    cpu = (cg.usage_ns() - cpu0) / 1e9
    if own:
        cg.remove()
    return Result(wall=wall, cpu=cpu, maxrss_kb=ru.ru_maxrss, pss_kb=sampler.peak_kb,
                  rc=rc, out=out_path, timed_out=wall >= timeout)


def recap_totals(out_path):
    with open(out_path, errors="replace") as f:
        text = f.read()
    i = text.rfind("PLAY RECAP")
    if i < 0:
        return None
    ok = changed = hosts = 0
    for m in RECAP_RE.finditer(text[i:]):
        hosts += 1
        ok += int(m.group(2))
        changed += int(m.group(3))
    return (ok, changed, hosts)


# ---------------------------------------------------------------------------------------------
# The benchmark


class Bench:
    def __init__(self, a):
        self.a = a
        self.work = tempfile.mkdtemp(prefix="rsible-bench.")
        self.results = {}  # (row, n, program) -> [Result]
        self.failures = []
        self.mismatches = []
        self.hosts = None
        self.run_seq = 0
        self.sync_paths = []
        sync_src = os.path.join(self.work, "synctree")
        if "sync" in a.playbooks and any(n <= a.sync_max_hosts for n in a.hosts):
            log(f"generating the sync tree: {a.sync_mb} MB in {a.sync_files} files")
            self.sync_paths = make_sync_tree(sync_src, a.sync_mb, a.sync_files)
        self.pbdir = write_playbooks(self.work, sync_src)
        site = os.path.join(a.venv, "lib", f"python{venv_python_version(a.venv)}", "site-packages")
        self.base_env = dict(os.environ)
        for k in list(self.base_env):
            if k.startswith("ANSIBLE_"):
                del self.base_env[k]
        self.base_env.update({
            "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_DEPRECATION_WARNINGS": "False",
            "ANSIBLE_LOCAL_TEMP": os.path.join(self.work, "ansible-local"),
        })
        self.prog_env = {
            "rsible": {},
            "ansible": {"ANSIBLE_PIPELINING": "True"},
            "mitogen": {
                "ANSIBLE_STRATEGY_PLUGINS": os.path.join(site, "ansible_mitogen", "plugins", "strategy"),
                "ANSIBLE_STRATEGY": "mitogen_linear",
            },
        }
        self.prog_bin = {
            "rsible": a.rsible,
            "ansible": os.path.join(a.venv, "bin", "ansible-playbook"),
            "mitogen": os.path.join(a.venv, "bin", "ansible-playbook"),
        }

    # -- per-host state on the shared filesystem

    def clean_host_state(self):
        """Removes the per-host users (pyinfra) and directories of the current hosts."""
        names = self.hosts.names if self.hosts else []
        with open("/etc/passwd") as f:
            users = {line.split(":", 1)[0] for line in f}
        for h in names:
            if f"bench_{h}" in users:
                subprocess.run(["userdel", "-f", "-r", f"bench_{h}"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            for d in (f"/tmp/bench-{h}", f"/tmp/bench-sync-{h}"):
                if os.path.lexists(d):
                    shutil.rmtree(d, ignore_errors=True)

    # -- one program run

    def run_program(self, prog, pb, row, n, r):
        self.run_seq += 1
        ctl = os.path.join(self.work, "cp", str(self.run_seq))  # fresh: cold SSH masters
        os.makedirs(ctl)
        env = dict(self.base_env, ANSIBLE_SSH_CONTROL_PATH_DIR=ctl, **self.prog_env[prog])
        argv = [self.prog_bin[prog], "-i", self.hosts.inventory, "-f", str(n),
                "--timeout", str(self.a.connect_timeout), os.path.join(self.pbdir, f"{pb}.yml")]
        out = os.path.join(self.work, "out", f"{row}-{n}-{r}-{prog}.log")
        res = run_measured(argv, env, self.work, out, timeout=self.a.timeout)
        res.totals = recap_totals(out)
        self.record(row, n, prog, r, res)

    def record(self, row, n, prog, r, res):
        self.results.setdefault((row, n, prog), []).append(res)
        t = res.totals
        counts = f"ok={t[0]} changed={t[1]}" if t else ("" if prog == "floor" else "no recap")
        log(f"  N={n} run {r} {row:8} {prog:8} {res.wall:8.2f} s  cpu {res.cpu:7.2f} s  "
            f"pss {res.pss_kb / 1024:7.1f} MB  rc={res.rc} {counts}")
        if res.rc != 0:
            msg = f"{prog} {row} N={n} run {r}: exit {res.rc}" + (" (timed out)" if res.timed_out else "")
            self.failures.append(msg)
            log(f"FAILED: {msg}; last lines of {res.out}:\n{tail(res.out, 25)}")

    # -- the sync floor: bare rsync -a over already-open ControlMasters, N in parallel

    def run_floor(self, n, r):
        cg = Cgroup()
        try:
            ctl = os.path.join(self.work, "floor-cp")
            os.makedirs(ctl, exist_ok=True)
            script = os.path.join(self.work, "floor.sh")
            src = os.path.join(self.work, "synctree")
            lines = ["#!/bin/bash", "set -u", 'mode=$1', "pids=()", "fail=0"]
            for h in self.hosts.names:
                ssh = (f"ssh -F {shlex.quote(self.hosts.ssh_config[h])} "
                       f"-o ControlPath={shlex.quote(ctl)}/{h} -o ControlMaster=no")
                lines.append(
                    f'if [ "$mode" = open ]; then ssh -F {shlex.quote(self.hosts.ssh_config[h])} '
                    f"-o ControlPath={shlex.quote(ctl)}/{h} -o ControlMaster=yes -o ControlPersist=yes -fN {h} & "
                    f"else rsync -a -e {shlex.quote(ssh)} {shlex.quote(src)}/ {h}:/tmp/bench-sync-{h}/ & fi"
                )
                lines.append("pids+=($!)")
            lines.append('for p in "${pids[@]}"; do wait "$p" || fail=1; done')
            lines.append("exit $fail")
            write(self.work, "floor.sh", "\n".join(lines) + "\n")
            # Masters opened inside the group (their CPU while copying counts), outside the timing.
            opened = run_measured(["/bin/bash", script, "open"], self.base_env, self.work,
                                  os.path.join(self.work, "out", f"floor-open-{n}-{r}.log"), cgroup=cg)
            if opened.rc != 0:
                self.failures.append(f"floor N={n} run {r}: could not open ssh masters")
                log(f"FAILED: opening ssh masters:\n{tail(opened.out)}")
                return
            for row in ("sync1", "sync2"):
                if row == "sync2":
                    self.touch_sources()
                out = os.path.join(self.work, "out", f"{row}-{n}-{r}-floor.log")
                res = run_measured(["/bin/bash", script, "copy"], self.base_env, self.work, out,
                                   cgroup=cg, timeout=self.a.timeout)
                res.totals = None
                self.record(row, n, "floor", r, res)
        finally:
            cg.remove()

    def touch_sources(self):
        now = time.time()
        step = max(1, len(self.sync_paths) // 10)
        for p in self.sync_paths[::step][:10]:
            os.utime(p, (now, now))

    # -- main loop

    def run(self):
        a = self.a
        os.makedirs(os.path.join(self.work, "out"))
        for n in a.hosts:
            log(f"== {n} host(s): starting")
            t0 = time.monotonic()
            self.hosts = Hosts(a.testhosts, self.work, n)
            log(f"   up in {time.monotonic() - t0:.1f} s")
            try:
                self.clean_host_state()
                for r in range(1, a.runs + 1):
                    for pb in a.playbooks:
                        if pb == "sync" and n > a.sync_max_hosts:
                            continue
                        for prog in a.programs:
                            self.clean_host_state()
                            rows = [row for row, _ in ROWS[pb]]
                            for i, row in enumerate(rows):
                                if pb == "sync" and i == 1:
                                    self.touch_sources()
                                self.run_program(prog, pb, row, n, r)
                            self.clean_host_state()
                        if pb == "sync":
                            self.run_floor(n, r)
                            self.clean_host_state()
            finally:
                self.clean_host_state()
                self.hosts.down()
                self.hosts = None
        self.check_counts()
        return self.report()

    def check_counts(self):
        for (row, n, prog), runs in self.results.items():
            if prog in ("ansible", "floor"):
                continue
            ref = self.results.get((row, n, "ansible"))
            if not ref:
                continue
            want = {res.totals for res in ref if res.rc == 0}
            for res in runs:
                if res.rc == 0 and want and res.totals not in want:
                    # One line per cell: the first run whose totals differ.
                    self.mismatches.append((row, n, prog, res.totals, sorted(want)[0]))
                    break

    # -- report

    def report(self):
        a = self.a
        progs = list(a.programs)
        has_floor = any(k[2] == "floor" for k in self.results)
        lines = ["# rsible benchmark", ""]
        lines += machine_info(a)
        lines.append("")
        lines.append(
            f"Options: hosts {' '.join(map(str, a.hosts))}, runs {a.runs}, playbooks "
            f"{' '.join(a.playbooks)}, programs {' '.join(a.programs)}; forks = N; cold SSH "
            "masters each run; figures are medians over the runs.")
        if "sync" in a.playbooks:
            skipped = [n for n in a.hosts if n > a.sync_max_hosts]
            lines.append(
                f"sync: {a.sync_mb} MB in {a.sync_files} files per host, only for N ≤ "
                f"{a.sync_max_hosts} (RSIBLE_BENCH_SYNC_MAX_HOSTS)"
                + (f"; not run for N = {', '.join(map(str, skipped))}" if skipped else "") + ".")
        lines.append("")
        hdr = ["playbook", "N", "ok/changed"]
        for p in progs:
            t = p
            hdr += [f"{t} wall", f"{t} ms/task-host", f"{t} CPU"]
            if p == "rsible":
                hdr.append("rsible RSS")
            hdr.append(f"{t} PSS")
        if has_floor:
            hdr += ["floor wall", "floor CPU", "floor PSS"]
        ratios = [p for p in ("ansible", "mitogen") if p in progs and "rsible" in progs]
        hdr += [f"{p} ÷ rsible" for p in ratios]
        if has_floor and "rsible" in progs:
            hdr.append("rsible ÷ floor")
        lines.append("| " + " | ".join(hdr) + " |")
        lines.append("|" + "|".join(["---", "---:"] + ["---:"] * (len(hdr) - 2)) + "|")
        bad = {(m[0], m[1], m[2]): m for m in self.mismatches}
        for n in a.hosts:
            for pb in a.playbooks:
                for row, tasks in ROWS[pb]:
                    if not any(k[0] == row and k[1] == n for k in self.results):
                        continue
                    med = {}
                    cells = [row, str(n), self.counts(row, n)]
                    for p in progs + (["floor"] if has_floor else []):
                        runs = self.results.get((row, n, p), [])
                        ok_runs = [x for x in runs if x.rc == 0]
                        width = {"rsible": 5, "floor": 3}.get(p, 4)  # columns of the program
                        if not runs:
                            cells += ["–"] * width
                            continue
                        if (row, n, p) in bad:
                            m = bad[(row, n, p)]
                            cells += [f"MISMATCH {fmt_counts(m[3])} vs ansible {fmt_counts(m[4])}"]
                            cells += ["–"] * (width - 1)
                            continue
                        if len(ok_runs) < len(runs):
                            cells += [f"FAILED ({len(runs) - len(ok_runs)} of {len(runs)} runs)"]
                            cells += ["–"] * (width - 1)
                            continue
                        wall = statistics.median(x.wall for x in runs)
                        med[p] = wall
                        cpu = statistics.median(x.cpu for x in runs)
                        pss = statistics.median(x.pss_kb for x in runs) / 1024
                        if p == "floor":
                            cells += [f"{wall:.2f} s", f"{cpu:.2f} s", f"{pss:.0f} MB"]
                            continue
                        per = wall * 1000 / (tasks * n)
                        cells += [f"{wall:.2f} s", f"{per:.1f}", f"{cpu:.2f} s"]
                        if p == "rsible":
                            rss = statistics.median(x.maxrss_kb for x in runs) / 1024
                            cells.append(f"{rss:.1f} MB")
                        cells.append(f"{pss:.0f} MB")
                    for p in ratios:
                        cells.append(f"{med[p] / med['rsible']:.1f}×" if p in med and "rsible" in med else "–")
                    if has_floor and "rsible" in progs:
                        cells.append(f"{med['rsible'] / med['floor']:.1f}×"
                                     if "floor" in med and "rsible" in med else "–")
                    lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        lines.append(
            "wall: median wall time of the program; ms/task-host: wall / (tasks × hosts) "
            "(facts, sync: per host); CPU: user+sys of the program's whole process tree, ssh masters "
            "included (cgroup cpuacct); RSS: peak RSS of the rsible process (wait4 ru_maxrss); "
            "PSS: peak summed PSS of the whole tree (smaps_rollup, sampled every ≥ 100 ms); "
            "ok/changed: PLAY RECAP totals of ansible-core + pipelining (the reference; rsible's "
            "and mitogen's must be the same; rsible's when ansible did not run); X ÷ rsible: X's wall / rsible's wall"
            + ("; floor: bare `rsync -a` to every host in parallel over open SSH masters; "
               "rsible ÷ floor: rsible's wall / the floor's." if has_floor else "."))
        if self.mismatches:
            lines.append("")
            for row, n, p, got, want in self.mismatches:
                lines.append(f"MISMATCH: {row} N={n} {p}: {fmt_counts(got)}, ansible-core + "
                             f"pipelining: {fmt_counts(want)}")
        if self.failures:
            lines.append("")
            for f in self.failures:
                lines.append(f"FAILED: {f}")
        return "\n".join(lines) + "\n"

    def counts(self, row, n):
        for p in ("ansible", "rsible", "mitogen"):
            for res in self.results.get((row, n, p), []):
                if res.rc == 0 and res.totals:
                    return fmt_counts(res.totals)
        return "–"


def fmt_counts(t):
    return f"{t[0]}/{t[1]}" if t else "no recap"


def venv_python_version(venv):
    for name in os.listdir(os.path.join(venv, "lib")):
        if name.startswith("python"):
            return name[len("python"):]
    return "3"


def cmd_out(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        return (p.stdout + p.stderr).strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"({e})"


def machine_info(a):
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    info = [
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- machine: {os.cpu_count()} CPUs (nproc {cmd_out(['nproc'])}), {model}, kernel "
        f"{os.uname().release}, {mem_total()}",
        f"- ssh: {cmd_out(['ssh', '-V'])}; rsync: {cmd_out(['rsync', '--version']).splitlines()[0]}",
        f"- rsible: {a.rsible} (commit {cmd_out(['git', 'rev-parse', '--short', 'HEAD'])})",
    ]
    if {"ansible", "mitogen"} & set(a.programs):
        py = os.path.join(a.venv, "bin", "python")
        ver = cmd_out([py, "-c", "import importlib.metadata as m; "
                       "print(m.version('ansible-core'), m.version('mitogen'))"]).split()
        info.append(f"- ansible-core {ver[0] if ver else '?'}, mitogen {ver[1] if len(ver) > 1 else '?'} "
                    f"({a.venv}); Python {cmd_out([py, '--version']).split()[-1]}")
    return info


def mem_total():
    with open("/proc/meminfo") as f:
        kb = int(f.readline().split()[1])
    return f"{kb / 1024 / 1024:.0f} GiB RAM"


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/run.sh")
    p.add_argument("--hosts", default="1 10 50")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--playbooks", default=" ".join(PLAYBOOKS))
    p.add_argument("--programs", default="rsible ansible mitogen")
    p.add_argument("--small", action="store_true",
                   help="N=2, one run, every playbook, a 2 MB / 200 files sync tree")
    p.add_argument("--rsible", default="target/release/rsible-playbook")
    p.add_argument("--testhosts", default="target/release/rsible-testhosts")
    p.add_argument("--venv",
                   default=os.environ.get("RSIBLE_BENCH_VENV", "/opt/rsible-bench-venv"))
    p.add_argument("--out", default="target/bench/latest.md")
    a = p.parse_args(argv)
    env = os.environ
    a.sync_mb = int(env.get("RSIBLE_BENCH_SYNC_MB", 200))
    a.sync_files = int(env.get("RSIBLE_BENCH_SYNC_FILES", 20000))
    a.sync_max_hosts = int(env.get("RSIBLE_BENCH_SYNC_MAX_HOSTS", 10))
    a.timeout = float(env.get("RSIBLE_BENCH_TIMEOUT", 3600))
    # SSH connect timeout for every program (ansible's default is 10 s): a few hundred first
    # connections at once on 2 cores wait longer than that for their sshd's banner.
    a.connect_timeout = int(env.get("RSIBLE_BENCH_CONNECT_TIMEOUT", 60))
    if a.small:
        a.hosts, a.runs, a.playbooks = "2", 1, " ".join(PLAYBOOKS)
        a.sync_mb = int(env.get("RSIBLE_BENCH_SYNC_MB", 2))
        a.sync_files = int(env.get("RSIBLE_BENCH_SYNC_FILES", 200))
    a.hosts = [int(x) for x in a.hosts.replace(",", " ").split()]
    a.playbooks = a.playbooks.replace(",", " ").split()
    a.programs = a.programs.replace(",", " ").split()
    for pb in a.playbooks:
        if pb not in PLAYBOOKS:
            p.error(f"unknown playbook {pb!r} (known: {' '.join(PLAYBOOKS)})")
    for prog in a.programs:
        if prog not in ("rsible", "ansible", "mitogen"):
            p.error(f"unknown program {prog!r} (known: rsible ansible mitogen)")
    if not a.hosts or min(a.hosts) < 1 or a.runs < 1:
        p.error("--hosts needs numbers ≥ 1 and --runs ≥ 1")
    if a.sync_files < 10:
        p.error("RSIBLE_BENCH_SYNC_FILES must be at least 10")
    a.rsible = os.path.abspath(a.rsible)
    a.testhosts = os.path.abspath(a.testhosts)
    return a


def main():
    a = parse_args(sys.argv[1:])
    if os.geteuid() != 0:
        sys.exit("bench: needs root (test hosts, cgroups)")
    if not os.path.isdir(CGROUP_CPUACCT):
        sys.exit(f"bench: no cgroup v1 cpuacct hierarchy at {CGROUP_CPUACCT}")
    set_child_subreaper()
    bench = Bench(a)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    try:
        text = bench.run()
        shutil.rmtree(os.path.join(bench.work, "synctree"), ignore_errors=True)
    except KeyboardInterrupt:
        log("interrupted")
        for cg in list(ACTIVE_CGROUPS):
            cg.remove()
        if bench.hosts:
            bench.clean_host_state()
            bench.hosts.down()
        shutil.rmtree(bench.work, ignore_errors=True)
        sys.exit(130)
    except BaseException:
        for cg in list(ACTIVE_CGROUPS):
            cg.remove()
        if bench.hosts:
            bench.clean_host_state()
            bench.hosts.down()
        log(f"work directory kept: {bench.work}")
        raise
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(text)
    print(text, end="")
    log(f"report written to {a.out}")
    if bench.mismatches or bench.failures:
        log(f"{len(bench.mismatches)} mismatch(es), {len(bench.failures)} failed run(s); "
            f"outputs kept in {bench.work}/out")
        sys.exit(1)
    shutil.rmtree(bench.work, ignore_errors=True)


if __name__ == "__main__":
    main()
