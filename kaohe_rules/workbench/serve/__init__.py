"""``kaohe serve``: a local web application over a rules root (docs/serve.md).

Starlette and uvicorn are imported here and by nothing on the path of ``kaohe --help``.
"""
