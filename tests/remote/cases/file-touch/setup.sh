touch /home/vagrant/t && chmod 0640 /home/vagrant/t && chown vagrant: /home/vagrant/t
