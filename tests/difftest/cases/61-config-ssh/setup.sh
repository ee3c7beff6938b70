# A real sshd on stdin/stdout (`sshd -i`, started by ssh's ProxyCommand): no network, no
# daemon. Its keys live beside the case copy (../keys), out of the compared files.
set -e
keys=$(cd .. && pwd)/keys
mkdir -p "$keys"
ssh-keygen -q -t ed25519 -N '' -f "$keys/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$keys/client_key"
cp "$keys/client_key.pub" "$keys/authorized_keys"
cat > "$keys/sshd_config" <<CONF
HostKey $keys/hostkey
AuthorizedKeysFile $keys/authorized_keys
PermitRootLogin yes
StrictModes no
UsePAM no
LogLevel ERROR
CONF
