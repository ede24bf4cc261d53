"""One simulated student, over HTTP and websockets only, as JupyterLab would talk to the Hub.

A :class:`Student` logs in through the Hub's REST API (a token request carrying the user name
and password, checked by the Hub's authenticator), starts their single-user server through the
Hub, and executes a chapter the way JupyterLab does: a session (``POST /api/sessions``) starts a
kernel in the chapter's directory, each code cell is an ``execute_request`` on the kernel's
websocket (``/api/kernels/ID/channels``), and the outputs are the ``iopub`` messages that answer
it, turned into notebook outputs by nbformat as nbclient turns them.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
import uuid
from typing import Any
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest, HTTPResponse
from tornado.websocket import WebSocketClientConnection, websocket_connect


class ClassroomError(Exception):
    """The Hub, a server or a kernel did not do what a student asked."""


@dataclasses.dataclass(frozen=True)
class ChapterRun:
    """One chapter executed by one student.

    Attributes:
        name: the notebook's file name.
        seconds: wall time from the first cell's request to the last cell's reply.
        kernel_seconds: wall time to start the kernel (session) and get its first reply.
        notebook: the executed notebook (nbformat node), outputs in place.
        error: the first cell error or failure, or None.
        probe: what the probe code printed in the same kernel after the chapter ("" if none).
    """

    name: str
    seconds: float
    kernel_seconds: float
    notebook: Any
    error: str | None
    probe: str = ""


class Student:
    """A student of the course: ``name`` and ``password`` on the Hub at ``hub_url``.

    Args:
        hub_url: the Hub's public address, ``http://127.0.0.1:PORT``.
        name: the user name.
        password: their password.
        timeout: seconds allowed for any one request, server start or cell.
    """

    def __init__(self, hub_url: str, name: str, password: str, *, timeout: float = 600) -> None:
        self.hub_url = hub_url.rstrip("/")
        self.name = name
        self._password = password
        self._timeout = timeout
        self._token: str | None = None
        self._http = AsyncHTTPClient()

    @property
    def server_url(self) -> str:
        """The student's single-user server, through the Hub's proxy."""
        return f"{self.hub_url}/user/{quote(self.name)}/"

    async def _request(
        self, method: str, url: str, body: object = None, *, auth: bool = True
    ) -> HTTPResponse:
        headers = {"Content-Type": "application/json"}
        if auth:
            if self._token is None:
                raise ClassroomError(f"{self.name}: not logged in")
            headers["Authorization"] = f"token {self._token}"
        request = HTTPRequest(
            url,
            method=method,
            headers=headers,
            body=None if body is None and method in {"GET", "DELETE"} else json.dumps(body or {}),
            request_timeout=self._timeout,
            follow_redirects=False,
        )
        try:
            return await self._http.fetch(request)
        except HTTPClientError as error:
            text = error.response.body.decode(errors="replace")[:200] if error.response else ""
            raise ClassroomError(f"{self.name}: {method} {url}: {error.code} {text}") from error

    async def log_in(self) -> None:
        """Log in through the Hub's API: a token request with the user name and password.

        Raises:
            ClassroomError: the Hub refused the password.
        """
        body = {
            "auth": {"username": self.name, "password": self._password},
            "note": "pkiviz classroom",
            "expires_in": 4 * 3600,
        }
        url = f"{self.hub_url}/hub/api/users/{quote(self.name)}/tokens"
        response = await self._request("POST", url, body, auth=False)
        self._token = str(json.loads(response.body)["token"])

    async def start_server(self, *, poll: float = 0.5) -> float:
        """Ask the Hub to start this student's server and wait until it is ready.

        Returns:
            The seconds it took.

        Raises:
            ClassroomError: the Hub refused, or the server was not ready in time.
        """
        start = time.perf_counter()
        await self._request("POST", f"{self.hub_url}/hub/api/users/{quote(self.name)}/server")
        while time.perf_counter() - start < self._timeout:
            server = await self._server_model()
            if server and server.get("ready"):
                return time.perf_counter() - start
            await asyncio.sleep(poll)
        raise ClassroomError(f"{self.name}: server not ready after {self._timeout:.0f} s")

    async def _server_model(self) -> dict[str, Any] | None:
        response = await self._request("GET", f"{self.hub_url}/hub/api/users/{quote(self.name)}")
        servers: dict[str, Any] = json.loads(response.body).get("servers", {})
        server = servers.get("")
        return server if isinstance(server, dict) else None

    async def stop_server(self, *, poll: float = 0.5) -> float:
        """Ask the Hub to stop this student's server and wait until it has stopped.

        Returns:
            The seconds it took.

        Raises:
            ClassroomError: it was still running after the timeout.
        """
        start = time.perf_counter()
        await self._request("DELETE", f"{self.hub_url}/hub/api/users/{quote(self.name)}/server")
        while time.perf_counter() - start < self._timeout:
            if await self._server_model() is None:
                return time.perf_counter() - start
            await asyncio.sleep(poll)
        raise ClassroomError(f"{self.name}: server still running after {self._timeout:.0f} s")

    async def run_chapter(self, notebook: Any, path: str, *, probe: str = "") -> ChapterRun:
        """Execute a chapter in a fresh kernel on this student's server, as JupyterLab would.

        Args:
            notebook: the chapter (an nbformat node); its code cells' outputs are replaced.
            path: the notebook's path in the student's home, e.g. ``book/05-revocation.ipynb``;
                the kernel runs in its directory.
            probe: code run in the same kernel after the chapter (not timed), whose printed
                text is returned, e.g. to ask the kernel who and where it is.

        Returns:
            The run; the kernel is shut down whatever happened.
        """
        name = path.rsplit("/", 1)[-1]
        started = time.perf_counter()
        body = {"path": path, "name": name, "type": "notebook", "kernel": {"name": "python3"}}
        created = await self._request("POST", self.server_url + "api/sessions", body)
        session = json.loads(created.body)
        try:
            kernel = Kernel(await self._connect(session["kernel"]["id"]), self.name, self._timeout)
            try:
                await kernel.ready()
                kernel_seconds = time.perf_counter() - started
                error = None
                start = time.perf_counter()
                for cell in notebook.cells:
                    if cell.cell_type != "code":
                        continue
                    cell.outputs, failed = await kernel.execute(cell.source)
                    if failed:
                        error = failed
                        break
                seconds = time.perf_counter() - start
                printed = ""
                if probe and error is None:
                    outputs, _ = await kernel.execute(probe)
                    printed = "".join(o.get("text", "") for o in outputs)
            finally:
                kernel.close()
        except ClassroomError as failure:
            failed = f"{failure} (kernel: {await self._kernel_state(session['kernel']['id'])})"
            raise ClassroomError(failed) from failure
        finally:
            with contextlib.suppress(ClassroomError):  # a kernel that died ended its session
                await self._request("DELETE", self.server_url + f"api/sessions/{session['id']}")
        return ChapterRun(name, seconds, kernel_seconds, notebook, error, printed)

    async def _kernel_state(self, kernel_id: str) -> str:
        try:
            answer = await self._request("GET", self.server_url + f"api/kernels/{kernel_id}")
        except ClassroomError as error:
            return str(error).rsplit(": ", 1)[-1][:120]
        return str(json.loads(answer.body).get("execution_state"))

    async def _connect(self, kernel_id: str) -> WebSocketClientConnection:
        url = self.server_url.replace("http", "ws", 1) + (
            f"api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}"
        )
        request = HTTPRequest(
            url, headers={"Authorization": f"token {self._token}"}, request_timeout=self._timeout
        )
        return await websocket_connect(request, max_message_size=256 * 1024 * 1024)


class Kernel:
    """A kernel's websocket: requests on ``shell``, outputs from ``iopub``, JSON messages."""

    def __init__(self, socket: WebSocketClientConnection, username: str, timeout: float) -> None:
        self._socket = socket
        self._username = username
        self._timeout = timeout
        self._session = uuid.uuid4().hex

    def _send(self, msg_type: str, content: dict[str, Any]) -> str:
        msg_id = uuid.uuid4().hex
        message = {
            "header": {
                "msg_id": msg_id,
                "msg_type": msg_type,
                "username": self._username,
                "session": self._session,
                "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "version": "5.3",
            },
            "parent_header": {},
            "metadata": {},
            "content": content,
            "channel": "shell",
            "buffers": [],
        }
        self._socket.write_message(json.dumps(message))
        return msg_id

    async def _receive(self, deadline: float) -> dict[str, Any]:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ClassroomError(f"{self._username}: no answer from the kernel in time")
            text = await asyncio.wait_for(self._socket.read_message(), left)
            if text is None:
                raise ClassroomError(f"{self._username}: the kernel's websocket closed")
            if isinstance(text, bytes):
                continue  # a message with binary buffers: widget state, never a text output
            message: dict[str, Any] = json.loads(text)
            return message

    async def ready(self) -> None:
        """Wait for the kernel's ``kernel_info_reply`` (asking again, as JupyterLab does)."""
        deadline = time.monotonic() + self._timeout
        while True:
            msg_id = self._send("kernel_info_request", {})
            try:
                answer_by = min(deadline, time.monotonic() + 5)
                while True:
                    message = await self._receive(answer_by)
                    if (
                        message["msg_type"] == "kernel_info_reply"
                        and message["parent_header"].get("msg_id") == msg_id
                    ):
                        return
            except ClassroomError:
                if time.monotonic() >= deadline:
                    raise

    async def execute(self, code: str) -> tuple[list[Any], str | None]:
        """Run one cell; returns its outputs (nbformat nodes) and the error, if it failed."""
        from nbformat.v4 import output_from_msg

        msg_id = self._send(
            "execute_request",
            {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
        )
        outputs: list[Any] = []
        clear_pending = False
        idle = replied = False
        failed: str | None = None
        deadline = time.monotonic() + self._timeout
        while not (idle and replied):
            message = await self._receive(deadline)
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind = message["msg_type"]
            if message.get("channel") == "shell":
                replied = kind == "execute_reply" or replied
                if kind == "execute_reply" and message["content"].get("status") != "ok":
                    failed = failed or str(message["content"].get("ename", "error"))
                continue
            if kind == "status":
                idle = message["content"].get("execution_state") == "idle"
            elif kind == "clear_output":
                if message["content"].get("wait"):
                    clear_pending = True
                else:
                    outputs = []
            elif kind in {"stream", "display_data", "execute_result", "error"}:
                if clear_pending:
                    outputs, clear_pending = [], False
                outputs.append(output_from_msg(message))  # type: ignore[no-untyped-call]
                if kind == "error":
                    content = message["content"]
                    failed = f"{content.get('ename')}: {content.get('evalue')}"
        return outputs, failed

    def close(self) -> None:
        """Close the websocket (the kernel itself stops with its session)."""
        self._socket.close()
