#!/usr/bin/python3
"""Sends one trace to skua with Debian's py_zipkin (clients.md §2); used by zipkin.test.mjs.

Usage: zipkin_py_sender.py BASE_URL ENCODING PREFIX
  ENCODING: V1_THRIFT, V1_JSON or V2_JSON.
Two "processes" report: PREFIX-frontend (a server root span and a client child span) and
PREFIX-backend (a server span sharing the client span's ID, as B3 propagation makes it).
Prints the trace ID (hex) on stdout.
"""
import sys
import threading
import time
import urllib.request

from py_zipkin import Encoding, Kind
from py_zipkin.transport import BaseTransportHandler
from py_zipkin.zipkin import ZipkinAttrs, zipkin_span

PATHS = {'V1_THRIFT': '/api/v1/spans', 'V1_JSON': '/api/v1/spans', 'V2_JSON': '/api/v2/spans'}
CONTENT_TYPES = {'V1_THRIFT': 'application/x-thrift', 'V1_JSON': 'application/json',
                 'V2_JSON': 'application/json'}


class HttpTransport(BaseTransportHandler):
    """POSTs each encoded batch; a non-2xx answer fails the script."""

    def __init__(self, url, content_type):
        self.url = url
        self.content_type = content_type

    def get_max_payload_bytes(self):
        return None

    def send(self, payload):
        if isinstance(payload, str):
            payload = payload.encode('utf-8')
        req = urllib.request.Request(self.url, data=payload, method='POST',
                                     headers={'Content-Type': self.content_type})
        with urllib.request.urlopen(req) as res:
            if res.status != 202:
                raise SystemExit(f'unexpected status {res.status}')


def serve_backend(transport, encoding, prefix, attrs):
    with zipkin_span(service_name=f'{prefix}-backend', span_name='handle', zipkin_attrs=attrs,
                     transport_handler=transport, encoding=encoding, kind=Kind.SERVER,
                     host='10.1.1.2', port=9000) as span:
        span.update_binary_annotations({'error': 'db timeout'})
        time.sleep(0.002)  # a measurable duration, not a wait for anything


def main():
    base, name, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
    encoding = Encoding[name]
    transport = HttpTransport(base + PATHS[name], CONTENT_TYPES[name])
    with zipkin_span(service_name=f'{prefix}-frontend', span_name='get /checkout',
                     transport_handler=transport, sample_rate=100.0, encoding=encoding,
                     kind=Kind.SERVER, host='10.1.1.1', port=8080,
                     use_128bit_trace_id=(name == 'V2_JSON'),
                     binary_annotations={'http.path': '/checkout'}) as root:
        with zipkin_span(service_name=f'{prefix}-frontend', span_name='call backend',
                         kind=Kind.CLIENT, encoding=encoding,
                         annotations={'cache.miss': time.time()},
                         binary_annotations={'retry.count': '0'}) as client:
            client.add_sa_binary_annotation(port=9000, service_name=f'{prefix}-backend',
                                            host='10.1.1.2')
            attrs = client.zipkin_attrs
            # The backend receives the client's B3 headers and reports with the same span ID.
            shared = ZipkinAttrs(trace_id=attrs.trace_id, span_id=attrs.span_id,
                                 parent_span_id=attrs.parent_span_id, flags=attrs.flags,
                                 is_sampled=True)
            # py_zipkin keeps its span storage per thread: a thread plays the backend process.
            backend = threading.Thread(target=serve_backend,
                                       args=(transport, encoding, prefix, shared))
            backend.start()
            backend.join()
        trace_id = root.zipkin_attrs.trace_id
    print(trace_id)


if __name__ == '__main__':
    main()
