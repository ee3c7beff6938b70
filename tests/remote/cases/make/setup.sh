mkdir -p /home/vagrant/src
cat > /home/vagrant/src/Makefile <<'MK'
PREFIX ?= /home/vagrant/out

all: build/app

build/app:
	mkdir -p build && echo app > build/app

install: build/app
	mkdir -p $(PREFIX) && cp build/app $(PREFIX)/app
MK
chown -R vagrant:vagrant /home/vagrant/src
