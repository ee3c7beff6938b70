printf "secret\n" > /root/secret.txt
chmod 600 /root/secret.txt
printf "hello\n" > /home/vagrant/hello.txt
