echo v1 > /home/vagrant/conf; chown vagrant: /home/vagrant/conf
