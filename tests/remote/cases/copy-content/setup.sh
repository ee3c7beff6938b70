printf "old\n" > /home/vagrant/old.txt; chown vagrant: /home/vagrant/old.txt
