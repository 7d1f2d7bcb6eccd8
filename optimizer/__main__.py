"""``python -m optimizer``: the healthplan command line."""

from optimizer.cli import app

if __name__ == "__main__":
    app(prog_name="healthplan")
