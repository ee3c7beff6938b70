"""Dumps what Ansible itself reads from an inventory, as the expected values for
tests/it/inventory.rs. Run from tests/fixtures/inventory:
/opt/ansible-venv/bin/python3 ../../oracle/dump_inventory.py ini/hosts 'all' 'web:db' ... > ini.expected.json
"""
import json
import subprocess
import sys

from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader

init_plugin_loader()
source, patterns = sys.argv[1], sys.argv[2:]
listed = json.loads(subprocess.run(
    ['/opt/ansible-venv/bin/ansible-inventory', '-i', source, '--list'],
    check=True, capture_output=True, text=True).stdout)
inv = InventoryManager(loader=DataLoader(), sources=source)
out = {
    "hostvars": listed["_meta"]["hostvars"],
    "groups": {
        name: {"hosts": [h.name for h in g.hosts], "children": [c.name for c in g.child_groups]}
        for name, g in inv.groups.items()
    },
    "group_names": {
        h.name: sorted(g.name for g in h.get_groups() if g.name not in ('all', 'ungrouped'))
        for h in inv.get_hosts('all')
    },
    "patterns": {p: [h.name for h in inv.get_hosts(p)] for p in patterns},
}
print(json.dumps(out, indent=1))
