printf '[main]\nname = app\n# port = 80\n\n[db]\nhost=localhost\nhost=other\n' > app.ini
printf '\357\273\277[s]\r\nx=1\r\n' > dos.ini
printf '[Peer]\nAllowedIps = 10.0.0.1/32\nKey = a\n\n[Peer]\nAllowedIps = 10.0.0.2/32\nKey = b\n' > wg.conf
printf 'top = 1\n[s]\nx = 1' > noeol.ini
chmod 0644 app.ini
mkdir adir
ln -s app.ini link.ini
