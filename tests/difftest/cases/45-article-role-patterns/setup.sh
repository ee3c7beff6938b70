mkdir -p etc
echo "127.0.0.1 old" > etc/hosts
