touch /home/vagrant/gone
