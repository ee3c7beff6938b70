printf 'one\ntwo\nthree' > noeol.txt
printf '# sshd\n#PermitRootLogin yes\nPort 22\nListenAddress 0.0.0.0\n' > sshd.conf
printf 'a=1\nb=2\na=3\nend\n' > multi.txt
printf 'dos line\r\nother\r\n' > crlf.txt
printf 'keep\ndrop me\nkeep too\ndrop me\n# comment drop\n' > absent.txt
printf 'mode only\n' > mode.txt
chmod 0644 mode.txt
printf 'x=1\n' > backup.txt
printf 'valid\n' > valid.txt
