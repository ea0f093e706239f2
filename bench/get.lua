-- Reading: GET one path (the campaign page or the counters API), nothing else.
-- wrk ... -s bench/get.lua URL -- <path>
function init(args)
  path = args[1]
end

function request()
  return wrk.format("GET", path)
end

-- One machine-readable line for the harness (bench/harness.py: parse_wrk).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,'
      .. '"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,'
      .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
