printf 'line one\nline two\n' > target.txt
echo 'Hello nobody' > greet.txt
