"""The bare Flask "hello" the throughput script compares the portal with (same gunicorn
settings, same run): `gunicorn bench.hello_app:app`."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, world!"
