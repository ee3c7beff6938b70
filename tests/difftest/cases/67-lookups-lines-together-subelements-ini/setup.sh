# A Latin-1 file (git keeps the case's files UTF-8).
printf '[global]\nword = \351t\351\n' > files/latin1.ini
