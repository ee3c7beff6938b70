useradd -m alice && mkdir -p /home/alice/.ssh && echo "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC old@example" > /home/alice/.ssh/authorized_keys && chown -R alice: /home/alice/.ssh
mkdir -p /home/vagrant/.ssh && echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDRmnx9rlQmIepM+hIfmAJvNqARaboFVDFMlhtFlgYvS carol@example" > /home/vagrant/.ssh/authorized_keys && chown -R vagrant: /home/vagrant/.ssh
