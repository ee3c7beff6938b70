# git may not keep the executable bit of the password script
chmod 0755 vault-pass.sh
