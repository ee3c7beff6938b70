#!/usr/bin/python
# A role's own module, as willshersystems.sshd ships one; never reached in this case.
import json
print(json.dumps({"changed": False}))
