useradd -m -s /bin/bash alice
