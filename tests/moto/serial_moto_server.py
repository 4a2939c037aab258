"""moto_server with one request at a time.

moto's server is threaded and its DynamoDB backend takes no lock, so two concurrent conditional writes to one item
can both pass their condition (seen: 8 of 12 concurrent budget increments passed a limit of 7). Real DynamoDB
applies every write to an item atomically. Serialising requests gives that guarantee back; connections stay
concurrent, only the handling of each request is exclusive.

Same arguments as `moto_server` (moto is pinned in the Makefile; this patches moto.server.main's application).
"""

import threading

import moto.server as server

_lock = threading.Lock()
_dispatch = server.DomainDispatcherApplication.__call__


def _serialised(self, environ, start_response):
    with _lock:
        # Materialise the body under the lock: a WSGI body may be produced lazily.
        return list(_dispatch(self, environ, start_response))


server.DomainDispatcherApplication.__call__ = _serialised

if __name__ == "__main__":
    server.main()
