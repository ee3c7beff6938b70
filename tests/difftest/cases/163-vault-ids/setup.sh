# git may not keep the executable bit of the client script
chmod 0755 vault-pass-client.sh
