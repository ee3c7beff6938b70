custom:
	echo custom > custom.txt
