printf "hello\n" > hello.txt
printf "\000\377bin" > bin.dat
mkdir -p adir
