printf 'twelve bytes' > data.txt
chmod 0640 data.txt
mkdir -p sub
chmod 0711 sub
ln -s data.txt link
