print("py", 1 + 1)
