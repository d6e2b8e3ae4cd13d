"""The agent's forwarder: a network namespace that leads only to its model endpoints.

`python -m enduro.sandbox.forwarder PLAN -- COMMAND...` (trusted; see `egress.forwarded`)
splits in two before anything untrusted starts:

* the **connector** stays in the machine's network namespace. It is handed each
  connection the agent opens, connects to that route's endpoint and carries the bytes
  both ways. It only ever connects to the routes of its plan.
* the **listener** moves into a namespace of its own holding only loopback, listens at
  each route's addresses inside, starts COMMAND there (the sandbox, which shares this
  namespace), hands every connection it accepts to the connector over a Unix socket
  pair (file descriptors pass between namespaces), and exits as COMMAND does.

Neither is visible to the agent: the sandbox has a PID namespace of its own, and the
socket pair is never inherited. Both die with the step that started them, even by
`kill -9`, and the sandbox with them. Abstract Unix sockets belong to a network namespace, so
the machine's are out of reach too.
"""

from __future__ import annotations

import array
import contextlib
import os
import signal
import socket
import sys
import threading

from enduro.procgroup import die_with_parent
from enduro.sandbox.egress import Route, decode
from enduro.sandbox.netns import add_loopback_alias, enter_private_network

CONNECT_SECONDS = 30.0
CHUNK = 64 * 1024
LISTEN_BACKLOG = 64
START_FAILED_EXIT = 125


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m enduro.sandbox.forwarder PLAN -- COMMAND...", file=sys.stderr)
        return 2
    routes, command = decode(argv[0]), argv[2:]
    die_with_parent()  # the sandbox dies with it (bwrap --die-with-parent), so with the step
    listener_end, connector_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    if os.fork() == 0:
        die_with_parent()
        listener_end.close()
        _connect_forever(connector_end, routes)
    connector_end.close()
    try:
        enter_private_network()
        listening = _listen(routes)
    except OSError as exc:
        print(f"enduro: the agent's network namespace could not be made: {exc}", file=sys.stderr)
        return START_FAILED_EXIT
    child = os.fork()
    if child == 0:
        try:
            os.execvp(command[0], command)
        except OSError as exc:
            print(f"enduro: could not start {command[0]!r}: {exc}", file=sys.stderr)
        os._exit(START_FAILED_EXIT)
    for index, server in listening:
        threading.Thread(target=_hand_over, args=(server, index, listener_end), daemon=True).start()
    status = _wait(child)
    code = os.waitstatus_to_exitcode(status)
    if code < 0:  # killed: end the same way, so the step sees what the sandbox saw
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


def _wait(child: int) -> int:
    while True:
        try:
            return os.waitpid(child, 0)[1]
        except InterruptedError:
            continue


def _listen(routes: tuple[Route, ...]) -> list[tuple[int, socket.socket]]:
    listening: list[tuple[int, socket.socket]] = []
    aliases: set[str] = set()
    for index, route in enumerate(routes):
        for address in route.inside:
            if route.alias and address not in aliases:
                add_loopback_alias(address, len(aliases))
                aliases.add(address)
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            server = socket.socket(family, socket.SOCK_STREAM)
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                server.bind((address, route.port))
            except OSError:
                server.close()
                if family == socket.AF_INET6:
                    continue  # no IPv6 here: localhost is served on 127.0.0.1 alone
                raise
            server.listen(LISTEN_BACKLOG)
            listening.append((index, server))
    return listening


def _hand_over(server: socket.socket, index: int, channel: socket.socket) -> None:
    """Every connection `server` accepts goes to the connector, tagged with its route."""
    try:
        while True:
            client, _ = server.accept()
            with client:
                fds = array.array("i", [client.fileno()])
                channel.sendmsg([bytes([index])], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
    except OSError:
        return  # the connector is gone: nothing more leaves, the agent sees refusals


def _connect_forever(channel: socket.socket, routes: tuple[Route, ...]) -> None:
    """The connector: for each connection handed over, its route's endpoint, until the
    listener is gone."""
    try:
        while True:
            message, fds, _flags, _address = socket.recv_fds(channel, 1, 1)
            if not message:
                break
            if not fds or message[0] >= len(routes):
                for fd in fds:
                    os.close(fd)
                continue
            client = socket.socket(fileno=fds[0])
            route = routes[message[0]]
            threading.Thread(target=_carry, args=(client, route), daemon=True).start()
    finally:
        os._exit(0)


def _carry(client: socket.socket, route: Route) -> None:
    with client:
        try:
            upstream = socket.create_connection((route.host, route.port), timeout=CONNECT_SECONDS)
        except OSError:
            return  # the agent sees its connection closed, as by a refusing host
        with upstream:
            upstream.settimeout(None)
            back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
            back.start()
            _pump(client, upstream)
            back.join()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Bytes from `source` to `sink` until `source` ends, then `sink` hears the end; a
    failure on either side ends both directions."""
    try:
        while data := source.recv(CHUNK):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
