from taperline.cli import app

app(prog_name="taperline")
