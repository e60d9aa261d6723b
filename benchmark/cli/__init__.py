"""The `bench` command line: option parsing only; every command calls a library function."""
