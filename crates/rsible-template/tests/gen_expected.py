#!/usr/bin/env python3
"""Computes each fixture's expected result with ansible-core's own templar.

Run with the Python that has ansible-core 2.19 installed:
    /opt/ansible-venv/bin/python3 tests/gen_expected.py
Each tests/inputs/NAME.txt holds a JSON header line ({"vars": {...}, "mode": ...}), a line
`---`, then the template (its final newline is not part of it, except in mode "text").
The result is written to tests/inputs/NAME.expected.json as {"ok": value} or {"error": msg}.
"""
import json
import os
import pathlib
import sys

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE / "lookup_root"


def trust(v):
    if isinstance(v, str):
        return trust_as_template(v)
    if isinstance(v, dict):
        return {k: trust(x) for k, x in v.items()}
    if isinstance(v, list):
        return [trust(x) for x in v]
    return v


def plain(v):
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v)
    return str(v)


def run(header, body):
    os.environ["RSIBLE_TEST_VAR"] = "from-env"
    vars_ = dict(header.get("vars", {}))
    vars_["ansible_search_path"] = [str(ROOT)]
    loader = DataLoader()
    loader.set_basedir(str(ROOT))
    templar = Templar(loader=loader, variables=trust(vars_))
    mode = header.get("mode", "str")
    try:
        if mode == "cond":
            return {"ok": templar.evaluate_conditional(trust_as_template(body))}
        if mode == "expr":
            return {"ok": plain(templar.evaluate_expression(trust_as_template(body)))}
        if mode == "text":
            res = templar.template(trust_as_template(body), escape_backslashes=False)
            return {"ok": res if isinstance(res, str) else str(res)}
        return {"ok": plain(templar.template(trust_as_template(body)))}
    except Exception as ex:  # the message is the expectation
        return {"error": str(ex).split("\n")[0]}


def main():
    names = sys.argv[1:] or sorted(p.stem for p in (HERE / "inputs").glob("*.txt"))
    for name in names:
        src = (HERE / "inputs" / f"{name}.txt").read_text()
        head, _, body = src.partition("\n---\n")
        header = json.loads(head)
        if header.get("mode", "str") != "text" and body.endswith("\n"):
            body = body[:-1]
        out = run(header, body)
        (HERE / "inputs" / f"{name}.expected.json").write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
        print(name, json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
