"""``python -m thermaudit``: the command-line interface."""

from thermaudit.cli import main

if __name__ == "__main__":
    main()
