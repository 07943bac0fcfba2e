"""``python -m bot``: the command line lives in bot/app/cli.py; this path is what ``-m`` needs."""

from bot.app.cli import command_line

if __name__ == "__main__":
    command_line()
