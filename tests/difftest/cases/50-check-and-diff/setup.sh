echo old > existing.txt
