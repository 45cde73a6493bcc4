# Sends one trace with Debian's ruby-jaeger-client (clients.md §2): agent UDP compact Thrift or the
# HTTP sender (POST /api/traces?format=jaeger.thrift). Run by jaeger_client.test.mjs with
# /usr/bin/ruby. Usage: ruby jaeger_client.rb udp|http HOST PORT SERVICE
# Prints the trace ID (hex) and the root and child span IDs on one line, then exits.
require 'jaeger/client'

mode, host, port, service = ARGV
logger = Logger.new($stderr)
encoder = Jaeger::Encoders::ThriftEncoder.new(service_name: service,
                                              tags: { 'ruby.process.tag' => 'p1' },
                                              logger: logger)
sender =
  if mode == 'udp'
    Jaeger::UdpSender.new(host: host, port: Integer(port), encoder: encoder, logger: logger)
  else
    Jaeger::HttpSender.new(url: "http://#{host}:#{port}/api/traces", encoder: encoder,
                           logger: logger)
  end
# A long flush interval: the script flushes by hand, once, after both spans ended.
reporter = Jaeger::Reporters::RemoteReporter.new(sender: sender, flush_interval: 3600)
tracer = Jaeger::Client.build(service_name: service, reporter: reporter, logger: logger)

root = tracer.start_span('ruby-root', tags: { 'span.kind' => 'server', 'http.method' => 'GET',
                                              'http.status_code' => 200, 'ratio' => 0.5,
                                              'cache.hit' => true })
child = tracer.start_span('ruby-child', child_of: root)
child.log_kv(event: 'cache-miss', attempt: 2)
child.finish
root.finish
reporter.flush

puts [Jaeger::TraceId.to_hex(root.context.trace_id), Jaeger::TraceId.to_hex(root.context.span_id),
      Jaeger::TraceId.to_hex(child.context.span_id)].join(' ')
