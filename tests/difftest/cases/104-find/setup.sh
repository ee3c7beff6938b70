mkdir -p tree/sub/deep tree/.hidden tree/empty tree/locked
printf 'hello world\nsecond line\n' > tree/a.txt
printf 'x\n' > tree/b.log
printf 'key = value\n' > tree/sub/c.conf
printf '%s\n' "$(seq 1 400)" > tree/sub/big.txt
printf 'deep\n' > tree/sub/deep/d.txt
printf 'hidden\n' > tree/.hidden/h.txt
printf 'dot\n' > tree/.dotfile
mkdir enc
printf 'caf\351\n' > enc/latin1.txt
printf 'utf8\n' > enc/a.txt
chmod 0600 tree/b.log
chmod 0755 tree/sub/c.conf
ln -s sub tree/link
ln -s missing tree/dangling
touch -d '2001-01-01 00:00:00' tree/a.txt
printf 'plain\n' > notadir
