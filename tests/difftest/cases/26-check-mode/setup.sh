echo old > existing.txt
echo same > same.txt
