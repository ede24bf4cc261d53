"""The book for a classroom: a local JupyterHub, simulated students, and the load test.

* :mod:`pkiviz.classroom.hub` - start a real JupyterHub on 127.0.0.1 with test users
  (``hub/jupyterhub_config.py``: DummyAuthenticator, SimpleLocalProcessSpawner) and always
  stop it; find the processes and measure the memory that belong to it or to one student.
* :mod:`pkiviz.classroom.student` - one student over HTTP and websockets only: log in through
  the Hub's API, start their server, execute a chapter cell by cell in a real kernel (the
  Jupyter server's kernel REST and websocket API), stop the server.
* :mod:`pkiviz.classroom.load` - N students at once, every chapter compared with its saved
  outputs, no process or file left behind; ``python -m pkiviz.classroom load``.

This package needs tornado and nbformat (installed with JupyterLab) and, to start a hub,
JupyterHub and configurable-http-proxy (``make hub``); ``import pkiviz`` does not import it.

Layer 11 (see :mod:`pkiviz`): imports only base, x509, revocation, ct, validation, tls, net,
crosscheck, draw, lab, ca, widgets and classroom itself.
"""
