"""`python3 -m readlog`: the same as the `readlog` command."""

from readlog.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
