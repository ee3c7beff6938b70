printf 'a=1\nb=2\n' > kv.txt
printf '127.0.0.1 localhost\n10.0.0.1   old.host.name   old\n10.0.0.2 other\n' > hosts
printf '[one]\nx = 1\n[two]\nx = 2\n[three]\nx = 3\n' > sections.ini
printf 'caf\351 latin\n' > latin.txt
printf 'keep\n' > attrs.txt
chmod 0644 attrs.txt
printf 'value\n' > valid.txt
