mkdir -p dir
echo content > dir/file
ln -s dir/file link
ln -s missing dangling
