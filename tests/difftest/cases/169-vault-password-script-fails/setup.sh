chmod 0755 vault-pass.sh
