echo old > /home/vagrant/rootfile
echo old > /home/vagrant/modefile && chmod 0751 /home/vagrant/modefile && chown vagrant: /home/vagrant/modefile
umask
