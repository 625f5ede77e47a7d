"""``python -m polymodal`` runs the command line."""

from polymodal.cli import main

if __name__ == "__main__":
    main()
