echo old > /home/vagrant/app2.conf && chmod 0755 /home/vagrant/app2.conf && chown vagrant: /home/vagrant/app2.conf
