printf 'Port 22\nPermitRootLogin no\n# end of file' > sshd.conf
printf 'line one\nanchor\nline three\n' > anchored.txt
printf 'top\n# BEGIN old\nstale\n# END old\nbottom\n' > existing.txt
printf 'keep\n' > attrs.txt
chmod 0644 attrs.txt
printf 'a\n[section]\nb\n' > multi.txt
