ln -s /etc/hostname /etc/rsible-link
