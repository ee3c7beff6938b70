mkdir -p made
echo existing > made/existing.txt
chmod 0644 made/existing.txt
