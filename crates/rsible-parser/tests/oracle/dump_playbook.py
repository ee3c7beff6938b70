"""Dumps what Ansible itself parses from a playbook, as the expected values for
tests/it/playbook.rs. Run: /opt/ansible-venv/bin/python3 dump_playbook.py site.yml > site.expected.json
"""
import json
import sys

from ansible import context
from ansible.module_utils.common.collections import ImmutableDict
from ansible.parsing.dataloader import DataLoader
from ansible.playbook import Playbook
from ansible.vars.manager import VariableManager
from ansible.inventory.manager import InventoryManager

context.CLIARGS = ImmutableDict(connection='local', check=False, diff=False)


def plain(v):
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, (bool, int, float)) or v is None:
        return v
    return str(v)


def task(t):
    ds = t._ds if isinstance(t._ds, dict) else {}
    loop = None
    if t.loop_with:
        loop = ["with", t.loop_with, plain(t.loop)]
    elif 'loop' in ds:
        loop = ["loop", None, plain(t.loop)]
    action = t.action.split('.')[-1]
    return {
        "name": plain(ds.get('name')),
        "module": action,
        "args": plain(t.args),
        "when": plain(t.when),
        "tags": plain(t.tags),
        "notify": plain(t.notify or []),
        "loop": loop,
        "register": plain(t.register),
        "delegate_to": plain(t.delegate_to),
        "listen": plain(getattr(t, 'listen', None) or []),
        "role": t._role.get_name() if t._role else None,
        "vars": plain(t.get_vars()),
        "become": plain(t.become),
        "ignore_errors": plain(t.ignore_errors),
    }


def tasks(blocks):
    """Flattens blocks, including the nested ones `import_tasks` creates."""
    out = []
    for b in blocks:
        for t in b.block:
            if hasattr(t, 'block'):
                out.extend(tasks([t]))
            else:
                out.append(task(t))
    return out


from ansible.plugins.loader import init_plugin_loader
init_plugin_loader()
loader = DataLoader()
inv = InventoryManager(loader=loader, sources='localhost,')
vm = VariableManager(loader=loader, inventory=inv)
pb = Playbook.load(sys.argv[1], variable_manager=vm, loader=loader)
plays = []
for p in pb.get_plays():
    roles = []
    for r in p.get_roles():
        roles.append({
            "name": r.get_name(),
            "tags": plain(r.tags),
            "when": plain(r.when),
            "params": plain(r._role_params),
            "defaults": plain(r._default_vars),
            "vars": plain(r._role_vars),
            "tasks": tasks(r._task_blocks),
            "handlers": tasks(r._handler_blocks),
        })
    plays.append({
        "name": plain(p.name),
        "hosts": plain(p.hosts),
        "tags": sorted(plain(p.tags)),
        "vars": plain(p.vars),
        "vars_files": plain(p.vars_files),
        "roles": roles,
        "tasks": tasks(p.tasks),
        "handlers": tasks(p.handlers),
    })
print(json.dumps(plays, indent=2, sort_keys=False))
