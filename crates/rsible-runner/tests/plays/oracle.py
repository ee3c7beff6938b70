#!/usr/bin/env python3
"""Checks the play snapshots against ansible-core.

    RSIBLE_PLAYS_ORACLE=/tmp/plays cargo test -p rsible-runner --test plays
    tests/plays/oracle.py /tmp/plays [case ...]

The first command writes each case as a playbook for localhost (see harness.rs); this script
runs each through ansible-playbook (ANSIBLE_PLAYBOOK, default `ansible-playbook`) with the json
callback and compares, task by task, what each host and loop item came to (ok, changed,
failed, skipping, unreachable) and the recap with the case's snapshot. Result values, messages
and retries are not compared: check those by reading the snapshot.
"""

import json
import os
import re
import subprocess
import sys
from difflib import unified_diff
from pathlib import Path

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
INCLUDE = ("include_tasks", "ansible.builtin.include_tasks")
STATUS = re.compile(r"^(  )?(ok|changed|failed|skipping|unreachable)( item)?: \[([^\]\s]+)")


def status(r):
    if r.get("unreachable"):
        return "unreachable"
    if r.get("failed"):
        return "failed"
    if r.get("skipped"):
        return "skipping"
    if r.get("changed"):
        return "changed"
    return "ok"


def ansible_lines(case):
    args = (case / "args").read_text().split("\n") if (case / "args").exists() else []
    env = dict(
        os.environ,
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_RETRY_FILES_ENABLED="False",
        ANSIBLE_PYTHON_INTERPRETER="/usr/bin/python3",
    )
    # What an earlier run of the case left (the counter of the `until` cases).
    (case / "count").unlink(missing_ok=True)
    cmd = [os.environ.get("ANSIBLE_PLAYBOOK", "ansible-playbook"), "-i", "hosts", "site.yml"]
    out = subprocess.run(
        cmd + [a for a in args if a], cwd=case, env=env, capture_output=True, text=True
    )
    data = json.loads(out.stdout[out.stdout.index("{"):])
    lines = []
    for play in data["plays"]:
        lines.append(f"PLAY [{play['play']['name']}]")
        for task in play["tasks"]:
            shown = []
            for host, r in sorted(task["hosts"].items()):
                # An include that ran is shown by its files, not as a result.
                if r.get("action") in INCLUDE and status(r) in ("ok", "changed"):
                    continue
                results = r.get("results") if isinstance(r.get("results"), list) else []
                for item in results:
                    if isinstance(item, dict) and "ansible_loop_var" in item:
                        # An unreachable item is reported as a failed one.
                        st = status(item).replace("unreachable", "failed")
                        shown.append(f"  {st} item: [{host}]")
                shown.append(f"{status(r)}: [{host}]")
            if shown:
                lines.append(f"TASK [{task['task']['name']}]")
                lines.extend(shown)
    for host, s in sorted(data["stats"].items()):
        lines.append(
            f"RECAP {host}: ok={s['ok']} changed={s['changed']} unreachable={s['unreachable']} "
            f"failed={s['failures']} skipped={s['skipped']} rescued={s['rescued']} "
            f"ignored={s['ignored']}"
        )
    return lines


def snapshot_lines(name):
    text = (SNAPSHOTS / f"{name}.snap").read_text()
    body = text.split("---\n", 2)[2]
    lines, task, per_host = [], None, {}

    def close():
        if task is not None and per_host:
            lines.append(task)
            for host in sorted(per_host):
                lines.extend(per_host[host])

    for line in body.splitlines():
        if line.startswith(("PLAY [", "TASK [", "HANDLER [", "RECAP ")):
            close()
            task, per_host = None, {}
            if line.startswith("PLAY [") or line.startswith("RECAP "):
                lines.append(line)
            else:
                task = "TASK [" + line.split("[", 1)[1]
            continue
        m = STATUS.match(line)
        if m and task is not None:
            indent, st, item, host = m.groups()
            shown = f"  {st} item: [{host}]" if item else f"{st}: [{host}]"
            per_host.setdefault(host, []).append(shown)
    close()
    return lines


def main():
    root = Path(sys.argv[1])
    names = sys.argv[2:] or sorted(p.name for p in root.iterdir() if p.is_dir())
    failed = 0
    for name in names:
        want = snapshot_lines(name)
        got = ansible_lines(root / name)
        if want == got:
            print(f"same    {name}")
            continue
        failed += 1
        print(f"DIFFERS {name}")
        for d in unified_diff(got, want, "ansible-playbook", "snapshot", lineterm="", n=2):
            print("    " + d)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
