"""Loads a YAML file with Ansible's own loader and prints the documents as JSON, the
expected values for tests/it/yaml.rs. Keys print as json.dumps writes them (Ansible's output)."""
import json
import sys

import yaml
from ansible._internal._yaml._loader import AnsibleLoader


def plain(v):
    if isinstance(v, dict):
        return {(k if isinstance(k, str) else json.dumps(k)): plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


docs = list(yaml.load_all(open(sys.argv[1]).read(), Loader=AnsibleLoader))
print(json.dumps([plain(d) for d in docs], indent=1))
