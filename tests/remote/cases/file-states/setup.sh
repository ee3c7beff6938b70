mkdir -p /home/vagrant/gone/x && chown -R vagrant: /home/vagrant/gone
