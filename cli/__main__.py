"""`python -m cli …` = `shopbot …`."""
from cli.main import app

app()
