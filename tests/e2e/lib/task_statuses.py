#!/usr/bin/env python3
"""Per-task results of an ansible-playbook run in the default callback's format.

Prints one line per task and host: `<n> <task name>\t<host>\t<status>`, where n counts the
task banners so that a task name used twice stays apart, and status is the sorted set of what
the host's lines said (`ok`, `changed`, `skipping`, `failed`, `unreachable`), with `ignored`
added when `...ignoring` followed, and `async-timeout` when the result was the async wrapper's
`Timeout exceeded`.

With `--compare A B [EXPLAINED]` it compares two runs of one playbook instead: it prints each
task and host whose status differs and exits 0 when none does, 2 when every difference is
explained, 1 otherwise. A difference is explained when run B's async job was killed by the async
wrapper (`async-timeout`), or when the file EXPLAINED has a line `<task name>\t<host>\t<why>`
for it: the caller measured that the task started from a different state in the two runs.
"""

import re
import sys
from collections import defaultdict

BANNER = re.compile(r"^(TASK|RUNNING HANDLER) \[(.*)\] \**$")
RESULT = re.compile(r"^(ok|changed|skipping|fatal): \[([^\]\s]+)(?: -> [^\]]+)?\]:?(.*)$")


def statuses(lines):
    out = defaultdict(set)
    order = []
    task = None
    last_host = None
    count = 0
    for raw in lines:
        line = raw.rstrip("\n").lstrip()
        m = BANNER.match(line)
        if m:
            count += 1
            task = f"{count} {m.group(2)}"
            last_host = None
            continue
        if line.startswith("PLAY ") or task is None:
            continue
        m = RESULT.match(line)
        if m:
            kind, host, rest = m.groups()
            if (task, host) not in out:
                order.append((task, host))
            if kind == "fatal":
                kind = "unreachable" if "UNREACHABLE!" in rest else "failed"
                if '"msg": "Timeout exceeded"' in rest:
                    out[(task, host)].add("async-timeout")
            out[(task, host)].add(kind)
            last_host = host
        elif line == "...ignoring" and last_host is not None:
            out[(task, last_host)].add("ignored")
    for key in order:
        yield key[0], key[1], ",".join(sorted(out[key]))


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return {(task, host): status for task, host, status in statuses(f)}


def read_explained(path):
    explained = {}
    if path:
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 3:
                    explained[(parts[0], parts[1])] = parts[2]
    return explained


def compare(a_path, b_path, explained_path=None):
    a, b = read(a_path), read(b_path)
    explained = read_explained(explained_path)
    differing = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    unexplained = 0
    for task, host in differing:
        why = explained.get((task.split(" ", 1)[1], host))
        if why is None and "async-timeout" in b.get((task, host), ""):
            why = "ansible-core's async wrapper killed the job (Timeout exceeded)"
        if why is None:
            unexplained += 1
        line = f"{task}\t{host}\t{a.get((task, host), '-')} | {b.get((task, host), '-')}"
        print(line + (f"\t({why})" if why else "\t(UNEXPLAINED)"))
    if not differing:
        return 0
    return 1 if unexplained else 2


def main():
    if sys.argv[1] == "--compare":
        sys.exit(compare(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None))
    for (task, host), status in read(sys.argv[1]).items():
        print(f"{task}\t{host}\t{status}")


if __name__ == "__main__":
    main()
